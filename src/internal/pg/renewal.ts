/**
 * Lease acquisition and rotation, each one statement: the two steps of a renewal that must be atomic
 * across connections and processes.
 *
 * Concurrency rests on three rules. A lease row holds at most one lease, and both acquiring and
 * consuming it are conditional writes on that row, so PostgreSQL re-checks their conditions on its
 * newest version after any wait: of two renewers, one wins and the other sees the winner's lease. Only
 * the holder of the current lease can rotate, so rotations of one session never overlap. And every
 * writer that touches more than one of a session's rows takes them in the same order (lease, then
 * session, then tokens), so two writers can wait for each other but never deadlock.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Option, Schema } from "effect"
import * as Lease from "../../Lease.js"
import { RepositoryError } from "../../SessionErrors.js"
import { type RotateRefreshToken, RotateRefreshTokenOutcome } from "../../SessionRepository.js"
import { invalidInput, isHash, isUuid, mapSqlError } from "./errors.js"
import { decodeFirst, LeaseRow, toDate } from "./rows.js"
import type { Tables } from "./schema.js"

/**
 * Stores the proposal unless the session is unknown or revoked (`Unavailable`) or another lease is
 * active at the proposal's `acquiredAt` (`HeldByOther`).
 *
 * The upsert always returns the row as it stands after the statement, even when a concurrent
 * transaction inserted it after this statement's snapshot was taken; `granted` says whether the
 * proposal replaced it. When the stored lease is active the row is rewritten with its own values: one
 * extra row version on a contended path, in exchange for reading the holder without a second statement.
 *
 * @since 0.1.0
 * @category internal
 */
export const tryAcquireLease =
  (sql: SqlClient.SqlClient, t: Tables) =>
  (proposal: Lease.RenewalLease): Effect.Effect<Lease.LeaseAcquisition, RepositoryError> => {
    if (!isUuid(proposal.sessionId)) return Effect.succeed(Lease.LeaseAcquisition.Unavailable())
    if (!isUuid(proposal.leaseId)) return Effect.fail(invalidInput("A lease id must be a UUID"))
    return sql`
      WITH target AS (
        SELECT s.session_id FROM ${t.sessions} s JOIN ${t.families} f ON f.family_id = s.family_id
        WHERE s.session_id = ${proposal.sessionId} AND NOT s.revoked AND NOT s.refresh_revoked AND NOT f.revoked
      )
      INSERT INTO ${t.leases} AS l (session_id, lease_id, acquired_at, held_until, granted)
      SELECT session_id, ${proposal.leaseId}::uuid, ${toDate(proposal.acquiredAt)}::timestamptz,
        ${toDate(proposal.until)}::timestamptz, true
      FROM target
      ON CONFLICT (session_id) DO UPDATE SET
        lease_id = CASE WHEN l.held_until <= excluded.acquired_at THEN excluded.lease_id ELSE l.lease_id END,
        acquired_at = CASE WHEN l.held_until <= excluded.acquired_at THEN excluded.acquired_at ELSE l.acquired_at END,
        held_until = CASE WHEN l.held_until <= excluded.acquired_at THEN excluded.held_until ELSE l.held_until END,
        granted = l.held_until <= excluded.acquired_at
      RETURNING l.lease_id, l.acquired_at, l.held_until, l.granted`.pipe(
      mapSqlError("tryAcquireRenewalLease"),
      Effect.flatMap(decodeFirst(LeaseRow, "tryAcquireRenewalLease")),
      Effect.map(
        Option.match({
          onNone: () => Lease.LeaseAcquisition.Unavailable(),
          onSome: (row) =>
            row.granted
              ? Lease.LeaseAcquisition.Acquired({ lease: proposal })
              : Lease.LeaseAcquisition.HeldByOther({
                  activeLease: new Lease.RenewalLease({
                    leaseId: row.lease_id,
                    sessionId: proposal.sessionId,
                    acquiredAt: row.acquired_at,
                    until: row.held_until
                  })
                })
        })
      )
    )
  }

const RotationRow = Schema.Struct({
  found: Schema.Boolean,
  family_matches: Schema.NullOr(Schema.Boolean),
  revoked: Schema.NullOr(Schema.Boolean),
  lease_valid: Schema.NullOr(Schema.Boolean),
  hash_matches: Schema.NullOr(Schema.Boolean),
  next_ok: Schema.NullOr(Schema.Boolean),
  lease_taken: Schema.Boolean,
  rotated: Schema.Boolean
})

const conflict = (message: string) => new RepositoryError({ reason: "Conflict", message })

/**
 * Rotates under the lease in one statement.
 *
 * `snap` reads the session, family, current token and lease from the statement's snapshot; the outcome
 * is decided from it in the order the contract lists the checks. The writes are chained, each running
 * only if the previous one returned a row: consume the lease, update the session (still not revoked,
 * re-checked on the newest row version), retire the previous token, insert the next one. A write that
 * finds its row changed by a concurrent transaction stops the chain before anything is retired, so the
 * session keeps exactly one current token; the final columns tell which step stopped it. A unique
 * violation on the next hash fails the whole statement, leaving nothing changed.
 *
 * @since 0.1.0
 * @category internal
 */
export const rotate =
  (sql: SqlClient.SqlClient, t: Tables) =>
  (input: RotateRefreshToken): Effect.Effect<RotateRefreshTokenOutcome, RepositoryError> => {
    if (!isUuid(input.sessionId)) return Effect.succeed(RotateRefreshTokenOutcome.SessionMissing())
    if (!isUuid(input.familyId) || !isUuid(input.leaseId)) {
      return Effect.fail(invalidInput("Session, family and lease ids must be UUIDs"))
    }
    if (!isHash(input.previousHash) || !isHash(input.nextHash)) {
      return Effect.fail(invalidInput("A refresh-token hash must be 64 lowercase hex characters"))
    }
    const next = input.nextSession
    const now = toDate(input.now)
    const nextIdsMatch = next.sessionId === input.sessionId && next.familyId === input.familyId
    const nextLastSeen = Option.match(next.lastSeenAt, { onNone: () => null, onSome: toDate })
    return sql`
      WITH snap AS (
        SELECT s.family_id, f.subject_id, (s.revoked OR s.refresh_revoked OR f.revoked) AS revoked,
          c.token_hash AS current_hash, l.lease_id, l.held_until
        FROM ${t.sessions} s
        JOIN ${t.families} f ON f.family_id = s.family_id
        LEFT JOIN ${t.refreshTokens} c ON c.session_id = s.session_id AND c.retired_at IS NULL
        LEFT JOIN ${t.leases} l ON l.session_id = s.session_id
        WHERE s.session_id = ${input.sessionId}
      ),
      checked AS (
        SELECT coalesce(current_hash = decode(${input.previousHash}, 'hex'), false) AS hash_matches,
          (${nextIdsMatch}::boolean AND subject_id = ${next.subjectId}::text) AS next_ok
        FROM snap WHERE family_id = ${input.familyId}::uuid AND NOT revoked
      ),
      lease AS (
        DELETE FROM ${t.leases} l USING checked k
        WHERE l.session_id = ${input.sessionId} AND l.lease_id = ${input.leaseId}::uuid
          AND l.held_until > ${now}::timestamptz AND (NOT k.hash_matches OR k.next_ok)
        RETURNING l.session_id
      ),
      -- Reading "lease" here makes the lease row the first one this statement locks.
      sess AS (
        UPDATE ${t.sessions} s SET created_at = ${toDate(next.createdAt)}::timestamptz,
          expires_at = ${toDate(next.expiresAt)}::timestamptz, last_seen_at = ${nextLastSeen}::timestamptz,
          revoked = ${next.revoked}::boolean
        FROM checked k
        WHERE s.session_id = ${input.sessionId} AND k.hash_matches AND k.next_ok
          AND NOT s.revoked AND NOT s.refresh_revoked AND EXISTS (SELECT 1 FROM lease)
        RETURNING s.session_id
      ),
      retired AS (
        UPDATE ${t.refreshTokens} r SET retired_at = ${now}::timestamptz
        WHERE r.token_hash = decode(${input.previousHash}, 'hex') AND r.retired_at IS NULL
          AND EXISTS (SELECT 1 FROM sess)
        RETURNING r.session_id
      ),
      fresh AS (
        INSERT INTO ${t.refreshTokens} (token_hash, session_id, expires_at, predecessor_hash)
        SELECT decode(${input.nextHash}, 'hex'), session_id, ${toDate(next.expiresAt)}::timestamptz,
          decode(${input.previousHash}, 'hex')
        FROM retired
        RETURNING 1
      )
      SELECT EXISTS (SELECT 1 FROM snap) AS found,
        (SELECT family_id = ${input.familyId}::uuid FROM snap) AS family_matches,
        (SELECT revoked FROM snap) AS revoked,
        (SELECT coalesce(lease_id = ${input.leaseId}::uuid AND held_until > ${now}::timestamptz, false) FROM snap)
          AS lease_valid,
        (SELECT hash_matches FROM checked) AS hash_matches,
        (SELECT next_ok FROM checked) AS next_ok,
        EXISTS (SELECT 1 FROM lease) AS lease_taken,
        EXISTS (SELECT 1 FROM fresh) AS rotated`.pipe(
      mapSqlError("rotateRefreshToken", () => conflict("The refresh-token hash is already in use")),
      Effect.flatMap(decodeFirst(RotationRow, "rotateRefreshToken")),
      Effect.flatMap(
        (found): Effect.Effect<RotateRefreshTokenOutcome, RepositoryError> =>
          Option.match(found, {
            onNone: () => Effect.succeed(RotateRefreshTokenOutcome.SessionMissing()),
            onSome: (row) => {
              if (!row.found) return Effect.succeed(RotateRefreshTokenOutcome.SessionMissing())
              if (row.family_matches !== true) return Effect.fail(conflict("The session belongs to another family"))
              if (row.revoked !== false) return Effect.succeed(RotateRefreshTokenOutcome.SessionMissing())
              if (row.lease_valid !== true) return Effect.succeed(RotateRefreshTokenOutcome.LeaseUnavailable())
              if (row.hash_matches !== true) return Effect.succeed(RotateRefreshTokenOutcome.RefreshTokenMismatch())
              if (row.next_ok !== true) {
                return Effect.fail(invalidInput("The next session must keep the session, family and subject ids"))
              }
              if (row.rotated) return Effect.succeed(RotateRefreshTokenOutcome.Rotated({ session: next }))
              // The snapshot allowed the rotation but a write found its row changed: the lease was
              // replaced or cleared, or the session was revoked, after the snapshot was taken.
              return Effect.succeed(
                row.lease_taken
                  ? RotateRefreshTokenOutcome.SessionMissing()
                  : RotateRefreshTokenOutcome.LeaseUnavailable()
              )
            }
          })
      )
    )
  }

/**
 * Session creation, touch and revocation, each one statement.
 *
 * Revocations take their rows in the order rotation does (lease, then sessions, then family), so a
 * revocation racing a rotation waits for it instead of deadlocking with it; a rotation that comes second
 * finds its lease gone or the session revoked and changes nothing.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Either, Option, Schema } from "effect"
import type * as Session from "../../Session.js"
import { RepositoryError } from "../../SessionErrors.js"
import type { CreateSession } from "../../SessionRepository.js"
import {
  backendError,
  checkSubjectId,
  invalidInput,
  isHash,
  isUuid,
  mapSqlError,
  violatedConstraint
} from "./errors.js"
import { decodeFirst, encodeContext, toDate } from "./rows.js"
import type { Tables } from "./schema.js"

const CreatedRow = Schema.Struct({
  duplicate: Schema.Boolean,
  foreign_family: Schema.Boolean,
  created: Schema.Boolean
})

const sessionInUse = () => new RepositoryError({ reason: "Conflict", message: "The session id is already in use" })
const hashInUse = () => new RepositoryError({ reason: "Conflict", message: "The refresh-token hash is already in use" })

/**
 * Stores a session, its first token and, when new, its family. A duplicate session id is `Conflict`, a
 * family of another subject `InvalidState`, both decided before anything is written; a hash already in
 * use fails the statement on the primary key, leaving nothing behind.
 *
 * @since 0.1.0
 * @category internal
 */
export const createSession =
  (sql: SqlClient.SqlClient, t: Tables) =>
  (input: CreateSession): Effect.Effect<void, RepositoryError> =>
    Effect.gen(function* () {
      const session = input.session
      const subject = yield* checkSubjectId(session.subjectId)
      if (!isUuid(session.sessionId) || !isUuid(session.familyId)) {
        return yield* invalidInput("Session and family ids must be UUIDs")
      }
      if (!isHash(input.refreshTokenHash)) {
        return yield* invalidInput("A refresh-token hash must be 64 lowercase hex characters")
      }
      const context = yield* encodeContext(input.context)
      const lastSeen = Option.match(session.lastSeenAt, { onNone: () => null, onSome: toDate })
      const row = yield* sql`
        WITH existing AS (SELECT subject_id FROM ${t.families} WHERE family_id = ${session.familyId}),
        duplicate AS (SELECT 1 FROM ${t.sessions} WHERE session_id = ${session.sessionId}),
        allowed AS (
          SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM duplicate)
            AND NOT EXISTS (SELECT 1 FROM existing WHERE subject_id <> ${subject}::text)
        ),
        family AS (
          INSERT INTO ${t.families} (family_id, subject_id, created_at, revoked)
          SELECT ${session.familyId}::uuid, ${subject}::text, ${toDate(session.createdAt)}::timestamptz, false
          FROM allowed WHERE NOT EXISTS (SELECT 1 FROM existing)
          ON CONFLICT (family_id) DO NOTHING
          RETURNING 1
        ),
        sess AS (
          INSERT INTO ${t.sessions}
            (session_id, family_id, created_at, expires_at, last_seen_at, revoked, refresh_revoked, context)
          SELECT ${session.sessionId}::uuid, ${session.familyId}::uuid, ${toDate(session.createdAt)}::timestamptz,
            ${toDate(session.expiresAt)}::timestamptz, ${lastSeen}::timestamptz, ${session.revoked}::boolean,
            ${session.revoked}::boolean, ${context}::json
          FROM allowed
          RETURNING session_id
        ),
        token AS (
          INSERT INTO ${t.refreshTokens} (token_hash, session_id, expires_at)
          SELECT decode(${input.refreshTokenHash}, 'hex'), session_id, ${toDate(session.expiresAt)}::timestamptz
          FROM sess
          RETURNING 1
        )
        SELECT EXISTS (SELECT 1 FROM duplicate) AS duplicate,
          EXISTS (SELECT 1 FROM existing WHERE subject_id <> ${subject}::text) AS foreign_family,
          EXISTS (SELECT 1 FROM token) AS created`.pipe(
        mapSqlError("createSession", (error) =>
          violatedConstraint(error).startsWith("sessions_") ? sessionInUse() : hashInUse()
        ),
        Effect.flatMap(decodeFirst(CreatedRow, "createSession"))
      )
      // The final SELECT has no FROM, so it always yields its one row.
      if (Option.isNone(row)) return yield* backendError("createSession")
      if (row.value.duplicate) return yield* sessionInUse()
      if (row.value.foreign_family) return yield* invalidInput("The session family belongs to another subject")
      if (!row.value.created) return yield* backendError("createSession")
    })

/**
 * Sets `lastSeenAt`; `SessionNotFound` for an unknown session.
 *
 * @since 0.1.0
 * @category internal
 */
export const touchSession =
  (sql: SqlClient.SqlClient, t: Tables) =>
  (touch: Session.SessionTouch): Effect.Effect<void, RepositoryError> =>
    isUuid(touch.sessionId)
      ? sql`
          UPDATE ${t.sessions} SET last_seen_at = ${toDate(touch.lastSeenAt)}::timestamptz
          WHERE session_id = ${touch.sessionId}
          RETURNING 1`.pipe(
          mapSqlError("touchSession"),
          Effect.flatMap((rows) => (rows.length === 0 ? Effect.fail(sessionNotFound()) : Effect.void))
        )
      : Effect.fail(sessionNotFound())

const sessionNotFound = () => new RepositoryError({ reason: "SessionNotFound", message: "No such session" })
const familyNotFound = () => new RepositoryError({ reason: "SessionFamilyNotFound", message: "No such session family" })

const FoundRow = Schema.Struct({ found: Schema.Boolean })

/**
 * Revokes one session and its refresh token and clears its lease; `SessionNotFound` when unknown.
 *
 * @since 0.1.0
 * @category internal
 */
export const revokeOneSession =
  (sql: SqlClient.SqlClient, t: Tables) =>
  (sessionId: Session.SessionId): Effect.Effect<void, RepositoryError> =>
    isUuid(sessionId)
      ? // "(SELECT count(*) FROM lease) >= 0" is always true: reading "lease" locks the lease row first.
        sql`
          WITH target AS (SELECT session_id FROM ${t.sessions} WHERE session_id = ${sessionId}),
          lease AS (DELETE FROM ${t.leases} WHERE session_id IN (SELECT session_id FROM target) RETURNING 1),
          sess AS (
            UPDATE ${t.sessions} SET revoked = true, refresh_revoked = true
            WHERE session_id = ${sessionId} AND (SELECT count(*) FROM lease) >= 0
            RETURNING 1
          )
          SELECT EXISTS (SELECT 1 FROM target) AS found`.pipe(
          mapSqlError("revokeSession"),
          Effect.flatMap(decodeFirst(FoundRow, "revokeSession")),
          Effect.flatMap((row) => (Option.exists(row, (r) => r.found) ? Effect.void : Effect.fail(sessionNotFound())))
        )
      : Effect.fail(sessionNotFound())

const CountRow = Schema.Struct({ found: Schema.Boolean, newly_revoked: Schema.Number })

/**
 * Revokes the given families, every session in them and their refresh tokens, and clears their leases.
 * Returns whether any family matched and how many were not revoked before.
 */
const revokeFamilies = (
  sql: SqlClient.SqlClient,
  t: Tables,
  families: { readonly familyId: string } | { readonly subjectId: string },
  operation: "revokeFamily" | "revokeSession" | "revokeSubject"
) => {
  const matching =
    "familyId" in families
      ? sql`SELECT family_id FROM ${t.families} WHERE family_id = ${families.familyId}`
      : sql`SELECT family_id FROM ${t.families} WHERE subject_id = ${families.subjectId}`
  // The counts read by each step make it wait for the previous one, fixing the order rows are locked in.
  return sql`
    WITH target AS (${matching}),
    lease AS (
      DELETE FROM ${t.leases} WHERE session_id IN (
        SELECT session_id FROM ${t.sessions} WHERE family_id IN (SELECT family_id FROM target)
      )
      RETURNING 1
    ),
    sess AS (
      UPDATE ${t.sessions} SET revoked = true, refresh_revoked = true
      WHERE family_id IN (SELECT family_id FROM target) AND (SELECT count(*) FROM lease) >= 0
      RETURNING 1
    ),
    fam AS (
      UPDATE ${t.families} SET revoked = true
      WHERE family_id IN (SELECT family_id FROM target) AND NOT revoked AND (SELECT count(*) FROM sess) >= 0
      RETURNING 1
    )
    SELECT EXISTS (SELECT 1 FROM target) AS found, (SELECT count(*) FROM fam)::int AS newly_revoked`.pipe(
    mapSqlError(operation),
    Effect.flatMap(decodeFirst(CountRow, operation)),
    Effect.map(Option.getOrElse(() => ({ found: false, newly_revoked: 0 })))
  )
}

/**
 * Revokes a family and all its sessions; `SessionFamilyNotFound` when unknown.
 *
 * @since 0.1.0
 * @category internal
 */
export const revokeFamily =
  (sql: SqlClient.SqlClient, t: Tables, operation: "revokeFamily" | "revokeSession" = "revokeFamily") =>
  (familyId: Session.SessionFamilyId): Effect.Effect<void, RepositoryError> =>
    isUuid(familyId)
      ? Effect.flatMap(revokeFamilies(sql, t, { familyId }, operation), (result) =>
          result.found ? Effect.void : Effect.fail(familyNotFound())
        )
      : Effect.fail(familyNotFound())

/**
 * Revokes every family of a subject; returns how many were not revoked before.
 *
 * @since 0.1.0
 * @category internal
 */
export const revokeSubject =
  (sql: SqlClient.SqlClient, t: Tables) =>
  (subjectId: Session.SubjectId): Effect.Effect<number, RepositoryError> =>
    Either.match(checkSubjectId(subjectId), {
      onLeft: Effect.fail,
      onRight: (subject) =>
        Effect.map(revokeFamilies(sql, t, { subjectId: subject }, "revokeSubject"), (r) => r.newly_revoked)
    })

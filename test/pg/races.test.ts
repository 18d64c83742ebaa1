/**
 * Revocations racing renewals on separate connections: PostgreSQL serialises them on the session's
 * rows, in one lock order, so neither side deadlocks or fails, revocation always holds afterwards, and
 * every session still has exactly one current token.
 */
import { createHash } from "node:crypto"
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Either, Fiber, Option } from "effect"
import * as Lease from "../../src/Lease.js"
import * as Logout from "../../src/Logout.js"
import * as Session from "../../src/Session.js"
import * as SessionContext from "../../src/SessionContext.js"
import { SessionIssuer } from "../../src/SessionIssuer.js"
import {
  CreateSession,
  RevokeSessionScope,
  RotateRefreshToken,
  SessionRepository
} from "../../src/SessionRepository.js"
import { SessionRevoker } from "../../src/SessionRevoker.js"
import { RefreshTokenHash } from "../../src/Tokens.js"
import { authority, renew, renewedToken } from "../support/pgAuthority.js"
import { closeSharedPg, holdingLock, isolatedRepository, PgTestSchema } from "../support/pgLayer.js"

afterAll(closeSharedPg)

const sessions = 40

describe("revocation racing renewal", () => {
  it.effect("never deadlocks, never fails, and the revocation holds", () =>
    Effect.gen(function* () {
      const issuer = yield* SessionIssuer
      const revoker = yield* SessionRevoker
      const sql = yield* SqlClient.SqlClient
      const schema = yield* PgTestSchema
      const issued = yield* Effect.forEach(
        Array.from({ length: sessions }, (_, i) => i),
        (i) => issuer.issue(`race-${i}`)
      )

      const results = yield* Effect.forEach(
        issued,
        (login, i) =>
          Effect.all(
            [
              renew(login.tokens.refreshToken),
              revoker.revoke(
                new Logout.LogoutRequest({
                  sessionId: login.session.sessionId,
                  familyId: login.session.familyId,
                  scope: i % 2 === 0 ? "CurrentSession" : "SessionFamily"
                })
              )
            ],
            { concurrency: 2 }
          ),
        { concurrency: "unbounded" }
      )

      const outcomes = new Map<string, number>()
      for (const [outcome] of results) outcomes.set(outcome._tag, (outcomes.get(outcome._tag) ?? 0) + 1)
      for (const tag of outcomes.keys()) expect(["Renewed", "Rejected", "LeaseUnavailable"]).toContain(tag)

      const [state] = yield* sql<{ readonly revoked: number; readonly current: number; readonly sessions: number }>`
        SELECT count(*) FILTER (WHERE s.revoked AND s.refresh_revoked)::int AS revoked,
          (SELECT count(*) FROM ${sql(`${schema}.refresh_tokens`)} WHERE retired_at IS NULL)::int AS current,
          count(*)::int AS sessions
        FROM ${sql(`${schema}.sessions`)} s`
      expect(state).toEqual({ revoked: sessions, current: sessions, sessions })

      // Whichever token is current now, it does not renew.
      for (const [index, [outcome]] of results.entries()) {
        const login = issued[index]
        if (login === undefined) continue
        const latest = Option.getOrElse(renewedToken(outcome), () => login.tokens.refreshToken)
        expect((yield* renew(latest))._tag).toBe("Rejected")
      }
    }).pipe(Effect.provide(authority(isolatedRepository())))
  )
})

const t0 = DateTime.unsafeMake("2030-01-01T00:00:00.000Z")
const hashOf = (label: string) => RefreshTokenHash.make(createHash("sha256").update(`race:${label}`).digest("hex"))

/** Waits (polling, no sleep) until `count` backends in `schema` wait for a lock. */
const waitersReach = (sql: SqlClient.SqlClient, schema: string, count: number) => {
  const probe = sql<{ readonly n: number }>`
    SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND query LIKE ${`%"${schema}".%`} AND query NOT LIKE '%FOR UPDATE%'`
  const poll = (attempt: number): Effect.Effect<void, unknown> =>
    Effect.flatMap(probe, (rows) =>
      (rows[0]?.n ?? 0) >= count
        ? Effect.void
        : attempt >= 5000
          ? Effect.fail(new Error(`never ${count} waiters`))
          : poll(attempt + 1)
    )
  return poll(0)
}

/**
 * A session with an acquired lease, and a transaction holding its session row until released, so that
 * the statements started next queue up in a known order.
 */
const heldSession = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const schema = yield* PgTestSchema
  const repo = yield* SessionRepository
  const session = new Session.Session({
    sessionId: yield* Session.makeSessionId,
    familyId: yield* Session.makeSessionFamilyId,
    subjectId: Session.SubjectId.make("queued"),
    createdAt: t0,
    expiresAt: DateTime.add(t0, { hours: 1 }),
    lastSeenAt: Option.none(),
    revoked: false
  })
  yield* repo.createSession(
    new CreateSession({ session, refreshTokenHash: hashOf("old"), context: SessionContext.empty })
  )
  const lease = Lease.fromTtl({
    leaseId: yield* Lease.makeLeaseId,
    sessionId: session.sessionId,
    acquiredAt: t0,
    ttl: Either.getOrThrow(Lease.leaseTtl("30 seconds"))
  })
  expect((yield* repo.tryAcquireRenewalLease(lease))._tag).toBe("Acquired")

  const unblock = yield* holdingLock(
    sql`SELECT 1 FROM ${sql(`${schema}.sessions`)} WHERE session_id = ${session.sessionId} FOR UPDATE`
  )
  const rotate = repo.rotateRefreshToken(
    new RotateRefreshToken({
      sessionId: session.sessionId,
      familyId: session.familyId,
      leaseId: lease.leaseId,
      previousHash: hashOf("old"),
      nextHash: hashOf("new"),
      nextSession: new Session.Session({ ...session, lastSeenAt: Option.some(t0) }),
      now: t0
    })
  )
  return { session, rotate, unblock, waiters: (n: number) => waitersReach(sql, schema, n) }
})

const currentHashes = (sessionId: Session.SessionId) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const schema = yield* PgTestSchema
    const rows = yield* sql<{ readonly hash: string }>`
      SELECT encode(token_hash, 'hex') AS hash FROM ${sql(`${schema}.refresh_tokens`)}
      WHERE session_id = ${sessionId} AND retired_at IS NULL`
    return rows.map((row) => row.hash)
  })

describe("revocation and rotation queued on one session", () => {
  it.effect("revocation first: it takes the lease, the rotation finds none and changes nothing", () =>
    Effect.gen(function* () {
      const repo = yield* SessionRepository
      const { session, rotate, unblock, waiters } = yield* heldSession
      const revoke = yield* Effect.fork(
        repo.revokeSession(RevokeSessionScope.CurrentSession({ sessionId: session.sessionId }))
      )
      yield* waiters(1)
      const rotation = yield* Effect.fork(rotate)
      yield* waiters(2)
      yield* unblock
      // With the opposite lock order in either statement, this interleaving is a deadlock.
      yield* Fiber.join(revoke)
      expect((yield* Fiber.join(rotation))._tag).toBe("LeaseUnavailable")
      expect(Option.map(yield* repo.findSession(session.sessionId), (s) => s.revoked)).toEqual(Option.some(true))
      expect(yield* currentHashes(session.sessionId)).toEqual([hashOf("old")])
    }).pipe(Effect.provide(isolatedRepository()))
  )

  it.effect("rotation first: it completes, then the revocation covers the new token", () =>
    Effect.gen(function* () {
      const repo = yield* SessionRepository
      const { session, rotate, unblock, waiters } = yield* heldSession
      const rotation = yield* Effect.fork(rotate)
      yield* waiters(1)
      const revoke = yield* Effect.fork(repo.revokeFamily(session.familyId))
      yield* waiters(2)
      yield* unblock
      expect((yield* Fiber.join(rotation))._tag).toBe("Rotated")
      yield* Fiber.join(revoke)
      expect(yield* currentHashes(session.sessionId)).toEqual([hashOf("new")])
      const match = yield* repo.findSessionByRefreshTokenHash(hashOf("new"))
      if (Option.isNone(match) || match.value._tag !== "Current") return expect.fail("the new token is not current")
      expect(match.value.lookup.session.revoked).toBe(true)
      expect(match.value.lookup.refreshRecord.revoked).toBe(true)
      expect(match.value.lookup.family.revoked).toBe(true)
    }).pipe(Effect.provide(isolatedRepository()))
  )
})

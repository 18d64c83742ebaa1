/**
 * `purgeExpired` on PostgreSQL: exactly what lies past expiry plus retention goes, in bounded batches;
 * what replay detection still needs stays; and rows a renewal holds locked are skipped, not waited for.
 */
import { createHash } from "node:crypto"
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Layer, Option, TestClock } from "effect"
import * as PgSessionRepository from "../../src/PgSessionRepository.js"
import * as Session from "../../src/Session.js"
import * as SessionContext from "../../src/SessionContext.js"
import { SessionIssuer } from "../../src/SessionIssuer.js"
import { CreateSession, PurgeResult, SessionRepository } from "../../src/SessionRepository.js"
import { RefreshTokenHash } from "../../src/Tokens.js"
import { authority, countingSpans, renew, renewedToken, spans } from "../support/pgAuthority.js"
import { closeSharedPg, holdingLock, isolatedRepository, PgTestSchema } from "../support/pgLayer.js"

afterAll(closeSharedPg)

const t0 = DateTime.unsafeMake("2030-01-01T00:00:00.000Z")
const at = (minutes: number) => DateTime.add(t0, { minutes })
const hashOf = (label: string) => RefreshTokenHash.make(createHash("sha256").update(`purge:${label}`).digest("hex"))

const store = (label: string, expiresAtMinutes: number, familyId?: Session.SessionFamilyId) =>
  Effect.gen(function* () {
    const repo = yield* SessionRepository
    const session = new Session.Session({
      sessionId: yield* Session.makeSessionId,
      familyId: familyId ?? (yield* Session.makeSessionFamilyId),
      subjectId: Session.SubjectId.make("purge-subject"),
      createdAt: t0,
      expiresAt: at(expiresAtMinutes),
      lastSeenAt: Option.none(),
      revoked: false
    })
    yield* repo.createSession(
      new CreateSession({ session, refreshTokenHash: hashOf(label), context: SessionContext.empty })
    )
    return session
  })

/** A repository over the shared pool whose purge deletes three rows per statement. */
const smallBatches = Layer.effect(
  SessionRepository,
  Effect.gen(function* () {
    const schema = yield* PgTestSchema
    return yield* PgSessionRepository.make({ schema, purgeBatchSize: 3 })
  })
).pipe(Layer.provideMerge(isolatedRepository()))

describe("purgeExpired", () => {
  it.effect("removes exactly the sessions and families past retention, over several batches", () =>
    Effect.gen(function* () {
      const repo = yield* SessionRepository
      // Ten sessions expired at minute 10 (two of them sharing a family), two that live on.
      const shared = yield* Session.makeSessionFamilyId
      const expired = [yield* store("shared-a", 10, shared), yield* store("shared-b", 10, shared)]
      for (let i = 0; i < 8; i++) expired.push(yield* store(`old-${i}`, 10))
      const liveAlone = yield* store("live", 100)
      const liveWithExpiredSibling = yield* store("sibling-live", 100, expired[2]?.familyId)

      // Retention keeps everything until minute 10 + 30.
      expect(yield* repo.purgeExpired(at(39), Duration.minutes(30))).toEqual(
        new PurgeResult({ sessions: 0, families: 0, retiredTokens: 0 })
      )
      // At the boundary, expiry == now - retention, they go; the family with a live sibling stays. Three
      // rows per statement: four statements for the sessions, one that finds no retired token.
      const [result, counts] = yield* countingSpans(repo.purgeExpired(at(40), Duration.minutes(30)))
      expect(result).toEqual(new PurgeResult({ sessions: 10, families: 8, retiredTokens: 0 }))
      expect(spans(counts, "sql.execute")).toBe(5)
      for (const session of expired) {
        expect(Option.isNone(yield* repo.findSession(session.sessionId))).toBe(true)
      }
      expect(Option.isNone(yield* repo.findFamily(shared))).toBe(true)
      expect(Option.isSome(yield* repo.findSession(liveAlone.sessionId))).toBe(true)
      expect(Option.isSome(yield* repo.findFamily(liveWithExpiredSibling.familyId))).toBe(true)
      expect(Option.isSome(yield* repo.findSessionByRefreshTokenHash(hashOf("live")))).toBe(true)
      expect(yield* repo.purgeExpired(at(40), Duration.minutes(30))).toEqual(
        new PurgeResult({ sessions: 0, families: 0, retiredTokens: 0 })
      )
    }).pipe(Effect.provide(smallBatches))
  )

  it.effect("keeps a retired token replay detection needs and removes it once it would have expired", () =>
    Effect.gen(function* () {
      const issuer = yield* SessionIssuer
      const repo = yield* SessionRepository
      // refreshTokenTtl is one hour: tokens issued at 0 expire at 60 minutes.
      const a = yield* issuer.issue("alice")
      const b = yield* issuer.issue("bob")
      yield* TestClock.adjust(Duration.minutes(10))
      expect((yield* renew(a.tokens.refreshToken))._tag).toBe("Renewed")
      const bNext = Option.getOrThrow(renewedToken(yield* renew(b.tokens.refreshToken)))

      // At 119 minutes the retired tokens (expiry 60) are inside a one-hour retention: kept.
      yield* TestClock.adjust(Duration.minutes(109))
      const kept = yield* repo.purgeExpired(yield* DateTime.now, Duration.hours(1))
      expect(kept).toEqual(new PurgeResult({ sessions: 0, families: 0, retiredTokens: 0 }))
      // So presenting one is still recognised as a replay.
      expect((yield* renew(a.tokens.refreshToken))._tag).toBe("ReplayDetected")

      // At 120 minutes they are past it: removed, and the token is merely unknown now.
      yield* TestClock.adjust(Duration.minutes(1))
      const purged = yield* repo.purgeExpired(yield* DateTime.now, Duration.hours(1))
      expect(purged).toEqual(new PurgeResult({ sessions: 0, families: 0, retiredTokens: 2 }))
      expect(yield* renew(b.tokens.refreshToken)).toMatchObject({ _tag: "Rejected", reason: "UnknownRefreshToken" })
      // The sessions (expiry 70) are expired but inside their retention: still stored, no longer renewable.
      expect(yield* renew(bNext)).toMatchObject({ _tag: "Rejected", reason: "SessionInactive" })
      expect(Option.isSome(yield* repo.findSession(b.session.sessionId))).toBe(true)
    }).pipe(Effect.provide(authority(isolatedRepository(), { refreshTokenTtl: "1 hour" })))
  )

  it.effect("skips rows another transaction holds, instead of waiting, and takes them next time", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const schema = yield* PgTestSchema
      const repo = yield* SessionRepository
      const held = yield* store("held", 10)
      yield* store("free", 10)

      const release = yield* holdingLock(
        sql`SELECT 1 FROM ${sql(`${schema}.sessions`)} WHERE session_id = ${held.sessionId} FOR UPDATE`
      )

      const first = yield* repo.purgeExpired(at(60), Duration.zero)
      expect(first).toEqual(new PurgeResult({ sessions: 1, families: 1, retiredTokens: 0 }))
      expect(Option.isSome(yield* repo.findSession(held.sessionId))).toBe(true)

      yield* release
      const second = yield* repo.purgeExpired(at(60), Duration.zero)
      expect(second).toEqual(new PurgeResult({ sessions: 1, families: 1, retiredTokens: 0 }))
    }).pipe(Effect.provide(isolatedRepository()))
  )
})

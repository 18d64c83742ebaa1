/**
 * The repository contract: creating, finding, touching, listing and purging sessions.
 */
import { describe, expect } from "@effect/vitest"
import { Duration, Effect, Option, pipe } from "effect"
import * as Session from "../../src/Session.js"
import * as SessionContext from "../../src/SessionContext.js"
import * as SessionRepository from "../../src/SessionRepository.js"
import {
  at,
  type ContractTest,
  create,
  expectCurrent,
  expectRetired,
  failureOf,
  hashOf,
  hour,
  newSession,
  nextOf,
  repository,
  rotate,
  stored,
  subject
} from "./ContractFixtures.js"

/** Registers the storage part of the contract: create, find, touch, list and purge. */
export const storageContract = (test: ContractTest): void => {
  describe("bootstrap and createSession", () => {
    test(
      "bootstrap is idempotent",
      Effect.gen(function* () {
        const repo = yield* repository
        yield* repo.bootstrap
        yield* repo.bootstrap
        const { hash } = yield* stored("a")
        yield* repo.bootstrap
        yield* expectCurrent(hash)
      })
    )

    test(
      "a created session is found by id, by hash, with its family and refresh record",
      Effect.gen(function* () {
        const repo = yield* repository
        const { session, hash } = yield* stored("a", { createdAt: 10, expiresAt: 10 + hour })

        expect(yield* repo.findSession(session.sessionId)).toEqual(Option.some(session))
        const family = new Session.SessionFamily({
          familyId: session.familyId,
          subjectId: session.subjectId,
          createdAt: session.createdAt,
          revoked: false
        })
        expect(yield* repo.findFamily(session.familyId)).toEqual(Option.some(family))
        const record = new Session.SessionRefreshRecord({
          sessionId: session.sessionId,
          familyId: session.familyId,
          expiresAt: session.expiresAt,
          revoked: false
        })
        expect(yield* repo.findRefreshRecord(session.sessionId)).toEqual(Option.some(record))
        const lookup = yield* expectCurrent(hash)
        expect(lookup).toEqual(new Session.SessionLookup({ session, family, refreshRecord: record }))
        expect(Session.isLookupActiveAt(lookup, at(20))).toBe(true)
      })
    )

    test(
      "lookups of unknown ids and hashes are none",
      Effect.gen(function* () {
        const repo = yield* repository
        const probe = yield* newSession()
        expect(Option.isNone(yield* repo.findSession(probe.sessionId))).toBe(true)
        expect(Option.isNone(yield* repo.findFamily(probe.familyId))).toBe(true)
        expect(Option.isNone(yield* repo.findRefreshRecord(probe.sessionId))).toBe(true)
        expect(Option.isNone(yield* repo.findSessionByRefreshTokenHash(hashOf("never")))).toBe(true)
      })
    )

    test(
      "a duplicate session id is Conflict",
      Effect.gen(function* () {
        const { session } = yield* stored("a")
        const error = yield* failureOf(create(session, hashOf("b")))
        expect(error.reason).toBe("Conflict")
        const repo = yield* repository
        expect(Option.isNone(yield* repo.findSessionByRefreshTokenHash(hashOf("b")))).toBe(true)
      })
    )

    test(
      "a duplicate refresh-token hash is Conflict and leaks no token material",
      Effect.gen(function* () {
        yield* stored("a")
        const other = yield* newSession({ subjectId: "bob" })
        const error = yield* failureOf(create(other, hashOf("a")))
        expect(error.reason).toBe("Conflict")
        expect(error.message).not.toContain(hashOf("a"))
        const repo = yield* repository
        expect(Option.isNone(yield* repo.findSession(other.sessionId))).toBe(true)
      })
    )

    test(
      "a family that belongs to another subject is InvalidState and nothing is stored",
      Effect.gen(function* () {
        const repo = yield* repository
        const { session } = yield* stored("a", { subjectId: "alice" })
        const intruder = yield* newSession({ subjectId: "mallory", familyId: session.familyId })
        const error = yield* failureOf(create(intruder, hashOf("b")))
        expect(error.reason).toBe("InvalidState")
        expect(Option.isNone(yield* repo.findSession(intruder.sessionId))).toBe(true)
        expect(Option.isNone(yield* repo.findSessionByRefreshTokenHash(hashOf("b")))).toBe(true)
      })
    )

    test(
      "a second session may join an existing family of the same subject",
      Effect.gen(function* () {
        const repo = yield* repository
        const first = yield* stored("a")
        const second = yield* stored("b", { familyId: first.session.familyId, createdAt: 5 })
        expect((yield* expectCurrent(second.hash)).family.familyId).toBe(first.session.familyId)
        yield* repo.revokeFamily(first.session.familyId)
        expect(Option.map(yield* repo.findSession(second.session.sessionId), (s) => s.revoked)).toEqual(
          Option.some(true)
        )
      })
    )

    test(
      "the context is stored and listed with the session",
      Effect.gen(function* () {
        const repo = yield* repository
        const context = pipe(
          SessionContext.empty,
          SessionContext.withActor(new SessionContext.DelegateActor({ delegateId: "support-7", reason: "ticket" })),
          SessionContext.withCorrelationId("corr-1"),
          SessionContext.withClient({ userAgent: "Firefox/140", ip: "2001:db8::1", deviceId: "laptop" }),
          SessionContext.withAttribute("tenant", "acme")
        )
        const session = yield* newSession()
        yield* create(session, hashOf("a"), context)
        const listed = yield* repo.listSessions(session.subjectId, at(1))
        expect(listed).toHaveLength(1)
        expect(listed[0]?.session).toEqual(session)
        expect(listed[0]?.context).toEqual(context)
      })
    )
  })

  describe("touchSession and listSessions", () => {
    test(
      "touch records lastSeenAt; an unknown session is SessionNotFound",
      Effect.gen(function* () {
        const repo = yield* repository
        const { session } = yield* stored("a")
        yield* repo.touchSession(new Session.SessionTouch({ sessionId: session.sessionId, lastSeenAt: at(42) }))
        expect(Option.flatMap(yield* repo.findSession(session.sessionId), (s) => s.lastSeenAt)).toEqual(
          Option.some(at(42))
        )
        const probe = yield* newSession()
        const error = yield* failureOf(
          repo.touchSession(new Session.SessionTouch({ sessionId: probe.sessionId, lastSeenAt: at(1) }))
        )
        expect(error.reason).toBe("SessionNotFound")
      })
    )

    test(
      "listSessions gives the subject's sessions active at `now`, oldest first",
      Effect.gen(function* () {
        const repo = yield* repository
        const newest = yield* stored("newest", { createdAt: 30, expiresAt: hour })
        const oldest = yield* stored("oldest", { createdAt: 10, expiresAt: hour })
        const middle = yield* stored("middle", { createdAt: 20, expiresAt: hour })
        const expiring = yield* stored("expiring", { createdAt: 5, expiresAt: 100 })
        const revoked = yield* stored("revoked", { createdAt: 6 })
        const familyRevoked = yield* stored("family", { createdAt: 7 })
        yield* stored("bob", { subjectId: "bob", createdAt: 1 })
        yield* repo.revokeSession(
          SessionRepository.RevokeSessionScope.CurrentSession({ sessionId: revoked.session.sessionId })
        )
        yield* repo.revokeFamily(familyRevoked.session.familyId)

        const before = yield* repo.listSessions(subject("alice"), at(99))
        expect(before.map((l) => l.session.sessionId)).toEqual([
          expiring.session.sessionId,
          oldest.session.sessionId,
          middle.session.sessionId,
          newest.session.sessionId
        ])
        // Expiry is exclusive: at `expiresAt` the session is no longer active.
        const after = yield* repo.listSessions(subject("alice"), at(100))
        expect(after.map((l) => l.session.sessionId)).toEqual([
          oldest.session.sessionId,
          middle.session.sessionId,
          newest.session.sessionId
        ])
        expect(yield* repo.listSessions(subject("carol"), at(1))).toEqual([])
      })
    )
  })

  describe("retired hashes and purgeExpired", () => {
    test(
      "retired hashes stay findable for replay detection after later rotations",
      Effect.gen(function* () {
        const { session, hash } = yield* stored("a", { expiresAt: hour })
        let current = session
        let previous = hash
        for (let i = 1; i <= 5; i++) {
          const nextHash = hashOf(`r${i}`)
          yield* rotate(current, previous, nextHash, i * 60)
          current = nextOf(current, i * 60)
          previous = nextHash
        }
        const first = yield* expectRetired(hash)
        expect(first.sessionId).toBe(session.sessionId)
        expect(first.familyId).toBe(session.familyId)
        expect(first.retiredAt).toEqual(at(60))
        expect(first.directPredecessor).toBe(false)
        expect((yield* expectRetired(hashOf("r4"))).directPredecessor).toBe(true)
      })
    )

    test(
      "purgeExpired removes what expired more than `retention` ago, and only that",
      Effect.gen(function* () {
        const repo = yield* repository
        const old = yield* stored("old", { expiresAt: 100 })
        const rotating = yield* stored("rotating", { expiresAt: 100 })
        yield* rotate(rotating.session, rotating.hash, hashOf("rotating-2"), 50)
        const live = yield* stored("live", { expiresAt: 10 * hour })

        const early = yield* repo.purgeExpired(at(150), Duration.seconds(60))
        expect(early).toEqual(new SessionRepository.PurgeResult({ sessions: 0, families: 0, retiredTokens: 0 }))

        const purged = yield* repo.purgeExpired(at(160), Duration.seconds(60))
        expect(purged).toEqual(new SessionRepository.PurgeResult({ sessions: 1, families: 1, retiredTokens: 1 }))
        expect(Option.isNone(yield* repo.findSession(old.session.sessionId))).toBe(true)
        expect(Option.isNone(yield* repo.findFamily(old.session.familyId))).toBe(true)
        expect(Option.isNone(yield* repo.findSessionByRefreshTokenHash(old.hash))).toBe(true)
        // The retired token of the rotated session would have expired at 100: gone; the session stays.
        expect(Option.isNone(yield* repo.findSessionByRefreshTokenHash(rotating.hash))).toBe(true)
        yield* expectCurrent(hashOf("rotating-2"))
        yield* expectCurrent(live.hash)

        const all = yield* repo.purgeExpired(at(20 * hour), Duration.zero)
        expect(all).toEqual(new SessionRepository.PurgeResult({ sessions: 2, families: 2, retiredTokens: 0 }))
        expect(yield* repo.listSessions(subject("alice"), at(0))).toEqual([])
      })
    )
  })
}

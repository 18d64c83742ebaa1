/**
 * The repository contract: renewal leases and atomic rotation.
 */
import { describe, expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Lease from "../../src/Lease.js"
import * as Session from "../../src/Session.js"
import * as SessionRepository from "../../src/SessionRepository.js"
import {
  acquire,
  at,
  type ContractTest,
  expectCurrent,
  expectRetired,
  failureOf,
  hashOf,
  newSession,
  nextOf,
  proposal,
  repository,
  rotate,
  rotation,
  stored
} from "./ContractFixtures.js"

/** Registers the lease and rotation part of the contract. */
export const leaseContract = (test: ContractTest): void => {
  describe("tryAcquireRenewalLease", () => {
    test(
      "an unknown session is Unavailable",
      Effect.gen(function* () {
        const probe = yield* newSession()
        const { acquisition } = yield* acquire(probe.sessionId, 0)
        expect(acquisition._tag).toBe("Unavailable")
      })
    )

    test(
      "a revoked session or family is Unavailable",
      Effect.gen(function* () {
        const repo = yield* repository
        const a = yield* stored("a")
        const b = yield* stored("b")
        yield* repo.revokeSession(
          SessionRepository.RevokeSessionScope.CurrentSession({ sessionId: a.session.sessionId })
        )
        yield* repo.revokeFamily(b.session.familyId)
        expect((yield* acquire(a.session.sessionId, 1)).acquisition._tag).toBe("Unavailable")
        expect((yield* acquire(b.session.sessionId, 1)).acquisition._tag).toBe("Unavailable")
      })
    )

    test(
      "the first proposal is Acquired; another while it is active is HeldByOther with the active lease",
      Effect.gen(function* () {
        const { session } = yield* stored("a")
        const first = yield* acquire(session.sessionId, 100)
        expect(first.acquisition).toEqual(Lease.LeaseAcquisition.Acquired({ lease: first.lease }))
        const second = yield* acquire(session.sessionId, 129)
        expect(second.acquisition).toEqual(Lease.LeaseAcquisition.HeldByOther({ activeLease: first.lease }))
      })
    )

    test(
      "a lease is inactive from its `until` on, and a new proposal then replaces it",
      Effect.gen(function* () {
        const { session } = yield* stored("a")
        const first = yield* acquire(session.sessionId, 100)
        const second = yield* acquire(session.sessionId, 130)
        expect(second.acquisition).toEqual(Lease.LeaseAcquisition.Acquired({ lease: second.lease }))
        const third = yield* acquire(session.sessionId, 131)
        expect(third.acquisition).toEqual(Lease.LeaseAcquisition.HeldByOther({ activeLease: second.lease }))
        expect(first.lease.leaseId).not.toBe(second.lease.leaseId)
      })
    )

    test(
      "of many concurrent proposals exactly one is Acquired",
      Effect.gen(function* () {
        const { session } = yield* stored("a")
        const results = yield* Effect.all(
          Array.from({ length: 32 }, () => acquire(session.sessionId, 10)),
          { concurrency: "unbounded" }
        )
        const acquired = results.filter((r) => r.acquisition._tag === "Acquired")
        expect(acquired).toHaveLength(1)
        for (const r of results) {
          if (r.acquisition._tag === "HeldByOther") {
            expect(r.acquisition.activeLease.leaseId).toBe(acquired[0]?.lease.leaseId)
          } else {
            expect(r.acquisition._tag).toBe("Acquired")
          }
        }
      })
    )
  })

  describe("rotateRefreshToken", () => {
    test(
      "rotation stores the next session and hash, retires the old hash and clears the lease",
      Effect.gen(function* () {
        const repo = yield* repository
        const { session, hash } = yield* stored("a")
        const { lease } = yield* acquire(session.sessionId, 60)
        const next = nextOf(session, 60)
        const outcome = yield* repo.rotateRefreshToken(
          rotation({ session, lease, previousHash: hash, nextHash: hashOf("b"), now: 60, nextSession: next })
        )
        expect(outcome).toEqual(SessionRepository.RotateRefreshTokenOutcome.Rotated({ session: next }))

        expect(yield* repo.findSession(session.sessionId)).toEqual(Option.some(next))
        const lookup = yield* expectCurrent(hashOf("b"))
        expect(lookup.session).toEqual(next)
        expect(lookup.refreshRecord.expiresAt).toEqual(next.expiresAt)
        expect(lookup.refreshRecord.revoked).toBe(false)
        expect(yield* expectRetired(hash)).toEqual(
          SessionRepository.RefreshTokenMatch.Retired({
            sessionId: session.sessionId,
            familyId: session.familyId,
            retiredAt: at(60),
            directPredecessor: true
          })
        )
        // The lease was cleared: a new proposal at the same moment is acquired.
        expect((yield* acquire(session.sessionId, 60)).acquisition._tag).toBe("Acquired")
      })
    )

    test(
      "only the latest retired hash is the direct predecessor",
      Effect.gen(function* () {
        const { session, hash } = yield* stored("a")
        yield* rotate(session, hash, hashOf("b"), 10)
        yield* rotate(nextOf(session, 10), hashOf("b"), hashOf("c"), 20)
        expect((yield* expectRetired(hash)).directPredecessor).toBe(false)
        expect((yield* expectRetired(hash)).retiredAt).toEqual(at(10))
        expect((yield* expectRetired(hashOf("b"))).directPredecessor).toBe(true)
        expect((yield* expectRetired(hashOf("b"))).retiredAt).toEqual(at(20))
        yield* expectCurrent(hashOf("c"))
      })
    )

    test(
      "an unknown session is SessionMissing",
      Effect.gen(function* () {
        const repo = yield* repository
        const probe = yield* newSession()
        const lease = yield* proposal(probe.sessionId, 0)
        const outcome = yield* repo.rotateRefreshToken(
          rotation({ session: probe, lease, previousHash: hashOf("a"), nextHash: hashOf("b"), now: 0 })
        )
        expect(outcome._tag).toBe("SessionMissing")
      })
    )

    test(
      "a family other than the stored one is Conflict",
      Effect.gen(function* () {
        const repo = yield* repository
        const { session, hash } = yield* stored("a")
        const { lease } = yield* acquire(session.sessionId, 10)
        const otherFamily = yield* Session.makeSessionFamilyId
        const error = yield* failureOf(
          repo.rotateRefreshToken(
            rotation({ session, lease, previousHash: hash, nextHash: hashOf("b"), now: 10, familyId: otherFamily })
          )
        )
        expect(error.reason).toBe("Conflict")
        yield* expectCurrent(hash)
      })
    )

    test(
      "a revoked session or family is SessionMissing",
      Effect.gen(function* () {
        const repo = yield* repository
        const a = yield* stored("a")
        const b = yield* stored("b")
        const leaseA = (yield* acquire(a.session.sessionId, 10)).lease
        const leaseB = (yield* acquire(b.session.sessionId, 10)).lease
        yield* repo.revokeSession(
          SessionRepository.RevokeSessionScope.CurrentSession({ sessionId: a.session.sessionId })
        )
        yield* repo.revokeFamily(b.session.familyId)
        const outcomeA = yield* repo.rotateRefreshToken(
          rotation({ session: a.session, lease: leaseA, previousHash: a.hash, nextHash: hashOf("a2"), now: 11 })
        )
        const outcomeB = yield* repo.rotateRefreshToken(
          rotation({ session: b.session, lease: leaseB, previousHash: b.hash, nextHash: hashOf("b2"), now: 11 })
        )
        expect([outcomeA._tag, outcomeB._tag]).toEqual(["SessionMissing", "SessionMissing"])
        expect(Option.isNone(yield* repo.findSessionByRefreshTokenHash(hashOf("a2")))).toBe(true)
      })
    )

    test(
      "no lease, another lease id or an expired lease is LeaseUnavailable and changes nothing",
      Effect.gen(function* () {
        const repo = yield* repository
        const { session, hash } = yield* stored("a")
        const stranger = yield* proposal(session.sessionId, 10)
        const noLease = yield* repo.rotateRefreshToken(
          rotation({ session, lease: stranger, previousHash: hash, nextHash: hashOf("b"), now: 10 })
        )
        const { lease } = yield* acquire(session.sessionId, 10)
        const otherId = yield* repo.rotateRefreshToken(
          rotation({ session, lease: stranger, previousHash: hash, nextHash: hashOf("b"), now: 11 })
        )
        const expired = yield* repo.rotateRefreshToken(
          rotation({ session, lease, previousHash: hash, nextHash: hashOf("b"), now: 40 })
        )
        expect([noLease._tag, otherId._tag, expired._tag]).toEqual([
          "LeaseUnavailable",
          "LeaseUnavailable",
          "LeaseUnavailable"
        ])
        yield* expectCurrent(hash)
        expect(Option.isNone(yield* repo.findSessionByRefreshTokenHash(hashOf("b")))).toBe(true)
        expect(yield* repo.findSession(session.sessionId)).toEqual(Option.some(session))
      })
    )

    test(
      "a previous hash that is not the stored one is RefreshTokenMismatch: the lease is cleared, the token stays",
      Effect.gen(function* () {
        const repo = yield* repository
        const { session, hash } = yield* stored("a")
        const { lease } = yield* acquire(session.sessionId, 10)
        const outcome = yield* repo.rotateRefreshToken(
          rotation({ session, lease, previousHash: hashOf("stale"), nextHash: hashOf("b"), now: 11 })
        )
        expect(outcome._tag).toBe("RefreshTokenMismatch")
        const lookup = yield* expectCurrent(hash)
        expect(Session.isLookupActiveAt(lookup, at(11))).toBe(true)
        expect(Option.isNone(yield* repo.findSessionByRefreshTokenHash(hashOf("b")))).toBe(true)
        expect((yield* acquire(session.sessionId, 12)).acquisition._tag).toBe("Acquired")
      })
    )

    test(
      "a next session with other ids is InvalidState and changes nothing",
      Effect.gen(function* () {
        const repo = yield* repository
        const { session, hash } = yield* stored("a")
        const { lease } = yield* acquire(session.sessionId, 10)
        const stranger = yield* newSession()
        const otherSession = new Session.Session({ ...nextOf(session, 10), sessionId: stranger.sessionId })
        const otherFamily = new Session.Session({ ...nextOf(session, 10), familyId: stranger.familyId })
        for (const nextSession of [otherSession, otherFamily]) {
          const error = yield* failureOf(
            repo.rotateRefreshToken(
              rotation({ session, lease, previousHash: hash, nextHash: hashOf("b"), now: 10, nextSession })
            )
          )
          expect(error.reason).toBe("InvalidState")
        }
        yield* expectCurrent(hash)
        expect(yield* repo.findSession(session.sessionId)).toEqual(Option.some(session))
      })
    )

    test(
      "of concurrent rotations under one lease exactly one is Rotated",
      Effect.gen(function* () {
        const repo = yield* repository
        const { session, hash } = yield* stored("a")
        const { lease } = yield* acquire(session.sessionId, 10)
        const outcomes = yield* Effect.all(
          Array.from({ length: 16 }, (_, i) =>
            repo.rotateRefreshToken(
              rotation({ session, lease, previousHash: hash, nextHash: hashOf(`n${i}`), now: 10 })
            )
          ),
          { concurrency: "unbounded" }
        )
        const rotated = outcomes.filter((o) => o._tag === "Rotated")
        expect(rotated).toHaveLength(1)
        expect(outcomes.filter((o) => o._tag === "LeaseUnavailable")).toHaveLength(15)
        const current = (yield* Effect.all(
          Array.from({ length: 16 }, (_, i) => repo.findSessionByRefreshTokenHash(hashOf(`n${i}`)))
        )).filter((m) => Option.isSome(m) && m.value._tag === "Current")
        expect(current).toHaveLength(1)
      })
    )
  })
}

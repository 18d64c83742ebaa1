import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Layer, Metric, Option, Redacted, TestClock } from "effect"
import * as Lease from "../../src/Lease.js"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import type * as Session from "../../src/Session.js"
import * as SessionRenewer from "../../src/SessionRenewer.js"
import * as SessionRepository from "../../src/SessionRepository.js"
import * as Capture from "../support/Capture.js"
import * as OtherHolderLeases from "../support/OtherHolderLeases.js"
import * as RacingRepository from "../support/RacingRepository.js"
import {
  expectTag,
  expired,
  hashOf,
  invalid,
  login,
  nearExpiry,
  neverIssued,
  renew,
  revoke,
  start,
  startClock,
  valid
} from "../support/Scenario.js"
import * as SpyingRepository from "../support/SpyingRepository.js"
import { stack } from "../support/Workflows.js"

const memory = () => stack(MemorySessionRepository.layer)
const spied = () => stack(SpyingRepository.layer(MemorySessionRepository.layer))

const match = (hash: Parameters<SessionRepository.SessionRepositoryService["findSessionByRefreshTokenHash"]>[0]) =>
  Effect.flatMap(SessionRepository.SessionRepository, (repo) => repo.findSessionByRefreshTokenHash(hash))

const familyRevoked = (familyId: Session.SessionFamilyId) =>
  Effect.flatMap(SessionRepository.SessionRepository, (repo) =>
    Effect.map(
      repo.findFamily(familyId),
      Option.map((f) => f.revoked)
    )
  )

describe("SessionRenewer", () => {
  describe("step 1: the decision", () => {
    it.effect("a Valid access token is NotNeeded with zero repository calls", () =>
      Effect.gen(function* () {
        const issued = yield* login()
        yield* SpyingRepository.reset
        for (const requirement of ["Proactive", "Required"] as const) {
          const outcome = yield* renew(issued.tokens.refreshToken, valid, requirement)
          expect(outcome._tag).toBe("NotNeeded")
        }
        // Even a refresh token that was never issued is not looked at.
        expect((yield* renew(neverIssued, valid))._tag).toBe("NotNeeded")
        expect(yield* SpyingRepository.calls).toEqual([])
      }).pipe(Effect.provide(spied()))
    )

    it.effect("an Invalid access token is Rejected with zero repository calls", () =>
      Effect.gen(function* () {
        const issued = yield* login()
        yield* SpyingRepository.reset
        const outcome = yield* renew(issued.tokens.refreshToken, invalid, "Required")
        expect(expectTag(outcome, "Rejected").reason).toBe("InvalidAccessToken")
        expect(yield* SpyingRepository.calls).toEqual([])
      }).pipe(Effect.provide(spied()))
    )
  })

  describe("renewal", () => {
    it.effect("rotates the refresh token and returns new tokens for the same session", () =>
      Effect.gen(function* () {
        yield* startClock
        const issued = yield* login()
        yield* TestClock.adjust("14 minutes")
        const renewed = expectTag(yield* renew(issued.tokens.refreshToken), "Renewed")

        const now = DateTime.unsafeMake(start + 14 * 60_000)
        expect(renewed.session.sessionId).toBe(issued.session.sessionId)
        expect(renewed.session.familyId).toBe(issued.session.familyId)
        expect(renewed.session.createdAt).toEqual(issued.session.createdAt)
        expect(renewed.session.lastSeenAt).toEqual(Option.some(now))
        expect(renewed.session.expiresAt).toEqual(DateTime.add(now, { days: 30 }))
        expect(Redacted.value(renewed.tokens.refreshToken.value)).not.toBe(
          Redacted.value(issued.tokens.refreshToken.value)
        )
        expect(Redacted.value(renewed.tokens.authToken.value)).not.toBe(Redacted.value(issued.tokens.authToken.value))

        const newHash = yield* hashOf(renewed.tokens.refreshToken)
        expect(expectTag(Option.getOrThrow(yield* match(newHash)), "Current").lookup.session).toEqual(renewed.session)
        const old = expectTag(Option.getOrThrow(yield* match(issued.refreshTokenHash)), "Retired")
        expect(old.directPredecessor).toBe(true)
        expect(old.retiredAt).toEqual(now)
      }).pipe(Effect.provide(memory()))
    )

    it.effect("an Expired access token with a live session renews; so does NearExpiry when Required", () =>
      Effect.gen(function* () {
        const issued = yield* login()
        const first = expectTag(yield* renew(issued.tokens.refreshToken, expired, "Required"), "Renewed")
        const second = expectTag(yield* renew(first.tokens.refreshToken, nearExpiry, "Required"), "Renewed")
        expect(second.session.sessionId).toBe(issued.session.sessionId)
      }).pipe(Effect.provide(memory()))
    )

    it.effect("makes exactly the design's repository calls, in order", () =>
      Effect.gen(function* () {
        const issued = yield* login()
        yield* SpyingRepository.reset
        expectTag(yield* renew(issued.tokens.refreshToken), "Renewed")
        expect(yield* SpyingRepository.calls).toEqual([
          "findSessionByRefreshTokenHash",
          "tryAcquireRenewalLease",
          "rotateRefreshToken"
        ])
      }).pipe(Effect.provide(spied()))
    )

    it.effect("the absolute lifetime caps each renewed expiry, then rejects", () =>
      Effect.gen(function* () {
        yield* startClock
        const issued = yield* login()
        yield* TestClock.adjust("6 hours")
        const renewed = expectTag(yield* renew(issued.tokens.refreshToken), "Renewed")
        expect(renewed.session.expiresAt).toEqual(DateTime.add(DateTime.unsafeMake(start), { hours: 8 }))
        yield* TestClock.adjust("2 hours")
        const rejected = expectTag(yield* renew(renewed.tokens.refreshToken), "Rejected")
        expect(rejected.reason).toBe("AbsoluteLifetimeReached")
      }).pipe(Effect.provide(stack(MemorySessionRepository.layer, { config: { absoluteSessionLifetime: "8 hours" } })))
    )
  })

  describe("rejection", () => {
    it.effect("a refresh token the repository does not know is Rejected", () =>
      Effect.gen(function* () {
        yield* login()
        expect(expectTag(yield* renew(neverIssued), "Rejected").reason).toBe("UnknownRefreshToken")
      }).pipe(Effect.provide(memory()))
    )

    it.effect("an expired session is Rejected, at exactly its expiry", () =>
      Effect.gen(function* () {
        const issued = yield* login()
        yield* TestClock.adjust("30 days")
        expect(expectTag(yield* renew(issued.tokens.refreshToken), "Rejected").reason).toBe("SessionInactive")
      }).pipe(Effect.provide(memory()))
    )

    it.effect("a revoked session or family is Rejected and takes no lease", () =>
      Effect.gen(function* () {
        const one = yield* login()
        const two = yield* login()
        yield* revoke(one, "CurrentSession")
        yield* revoke(two, "SessionFamily")
        yield* SpyingRepository.reset
        expect(expectTag(yield* renew(one.tokens.refreshToken), "Rejected").reason).toBe("SessionInactive")
        expect(expectTag(yield* renew(two.tokens.refreshToken), "Rejected").reason).toBe("SessionInactive")
        expect(yield* SpyingRepository.mutations).toEqual([])
      }).pipe(Effect.provide(spied()))
    )

    it.effect("a session signed out between lease and rotation is Rejected with SessionMissing", () =>
      Effect.gen(function* () {
        const issued = yield* login()
        const outcome = yield* renew(issued.tokens.refreshToken)
        expect(expectTag(outcome, "Rejected").reason).toBe("SessionMissing")
        // Nothing rotated: the presented token is still the session's, and the session is revoked.
        const still = expectTag(Option.getOrThrow(yield* match(issued.refreshTokenHash)), "Current")
        expect(still.lookup.session.revoked).toBe(true)
      }).pipe(
        Effect.provide(stack(RacingRepository.layer(MemorySessionRepository.layer, { _tag: "RevokeAfterLease" })))
      )
    )
  })

  describe("LeaseUnavailable", () => {
    it.effect("a lease held by another renewer gives LeaseUnavailable with that lease, and nothing rotates", () =>
      Effect.gen(function* () {
        const issued = yield* login()
        const outcome = expectTag(yield* renew(issued.tokens.refreshToken), "LeaseUnavailable")
        const held = expectTag(outcome.acquisition, "HeldByOther")
        expect(held.activeLease.sessionId).toBe(issued.session.sessionId)
        expectTag(Option.getOrThrow(yield* match(issued.refreshTokenHash)), "Current")
      }).pipe(Effect.provide(stack(MemorySessionRepository.layer, { leases: OtherHolderLeases.heldByOther })))
    )

    it.effect("a coordinator that cannot grant leases gives LeaseUnavailable(Unavailable)", () =>
      Effect.gen(function* () {
        const issued = yield* login()
        const outcome = expectTag(yield* renew(issued.tokens.refreshToken), "LeaseUnavailable")
        expect(outcome.acquisition._tag).toBe("Unavailable")
        expectTag(Option.getOrThrow(yield* match(issued.refreshTokenHash)), "Current")
      }).pipe(Effect.provide(stack(MemorySessionRepository.layer, { leases: OtherHolderLeases.unavailable })))
    )

    it.effect("a lease lost before rotation gives LeaseUnavailable(Unavailable) and the token stays current", () =>
      Effect.gen(function* () {
        const issued = yield* login()
        const outcome = expectTag(yield* renew(issued.tokens.refreshToken), "LeaseUnavailable")
        expect(outcome.acquisition).toEqual(Lease.LeaseAcquisition.Unavailable())
        const still = expectTag(Option.getOrThrow(yield* match(issued.refreshTokenHash)), "Current")
        expect(still.lookup.session).toEqual(issued.session)
        expectTag(yield* renew(issued.tokens.refreshToken), "LeaseUnavailable")
      }).pipe(Effect.provide(stack(MemorySessionRepository.layer, { leases: OtherHolderLeases.lostBeforeRotation })))
    )

    it.effect("a real lease held by an earlier renewal blocks until it expires", () =>
      Effect.gen(function* () {
        const issued = yield* login()
        const repo = yield* SessionRepository.SessionRepository
        const now = yield* DateTime.now
        const leaseId = yield* Lease.makeLeaseId
        const foreign = new Lease.RenewalLease({
          leaseId,
          sessionId: issued.session.sessionId,
          acquiredAt: now,
          until: DateTime.add(now, { seconds: 30 })
        })
        expectTag(yield* repo.tryAcquireRenewalLease(foreign), "Acquired")
        const blocked = expectTag(yield* renew(issued.tokens.refreshToken), "LeaseUnavailable")
        expect(expectTag(blocked.acquisition, "HeldByOther").activeLease).toEqual(foreign)
        yield* TestClock.adjust("30 seconds")
        expectTag(yield* renew(issued.tokens.refreshToken), "Renewed")
      }).pipe(Effect.provide(memory()))
    )
  })

  describe("mismatch at rotation (step 8)", () => {
    it.effect("a rotation that lost to another renewal inside the grace is Superseded and revokes nothing", () =>
      Effect.gen(function* () {
        const issued = yield* login()
        const outcome = yield* renew(issued.tokens.refreshToken)
        expect(expectTag(outcome, "Superseded").sessionId).toBe(issued.session.sessionId)
        expect(yield* familyRevoked(issued.session.familyId)).toEqual(Option.some(false))
      }).pipe(Effect.provide(raceAtLease(1)))
    )

    it.effect(
      "a mismatch on a token that is no longer the direct predecessor is ReplayDetected; the family is revoked",
      () =>
        Effect.gen(function* () {
          const issued = yield* login()
          const outcome = expectTag(yield* renew(issued.tokens.refreshToken), "ReplayDetected")
          expect(outcome).toEqual(
            expect.objectContaining({ sessionId: issued.session.sessionId, familyId: issued.session.familyId })
          )
          expect(yield* familyRevoked(issued.session.familyId)).toEqual(Option.some(true))
        }).pipe(Effect.provide(raceAtLease(2)))
    )
  })

  describe("observability", () => {
    it.effect("each outcome is counted, traced with the session id and logged", () =>
      Effect.gen(function* () {
        const counter = (outcome: string) => Metric.tagged(SessionRenewer.renewalOutcomes, "outcome", outcome)
        const renewedBefore = (yield* Metric.value(counter("Renewed"))).count
        const notNeededBefore = (yield* Metric.value(counter("NotNeeded"))).count
        const issued = yield* login()
        yield* renew(issued.tokens.refreshToken, valid)
        yield* renew(issued.tokens.refreshToken)
        expect((yield* Metric.value(counter("Renewed"))).count).toBe(renewedBefore + 1)
        expect((yield* Metric.value(counter("NotNeeded"))).count).toBe(notNeededBefore + 1)

        const spans = yield* Capture.spansNamed("sessions.renew")
        expect(spans.map((s) => s.attributes.get("outcome"))).toEqual(["NotNeeded", "Renewed"])
        expect(spans[1]?.attributes.get("sessionId")).toBe(issued.session.sessionId)
        const rotate = yield* Capture.spansNamed("sessions.repository.rotateRefreshToken")
        expect(rotate[0]?.attributes.get("outcome")).toBe("Rotated")
        const { logs } = yield* Capture.Captured
        const renewedLine = logs.find((l) => l.message === "session renewed")
        expect(renewedLine?.annotations).toMatchObject({
          sessionId: issued.session.sessionId,
          familyId: issued.session.familyId,
          outcome: "Renewed"
        })
      }).pipe(Effect.provide(Layer.merge(memory(), Capture.layer)))
    )
  })
})

/**
 * A stack in which, right before this renewal takes its lease, another renewer rotates the same token
 * `times` times (A to B, then B to C, ...), at the same moment.
 */
function raceAtLease(times: number) {
  return stack(RacingRepository.layer(MemorySessionRepository.layer, { _tag: "RotateBeforeLease", times }))
}

import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Metric, Option, TestClock } from "effect"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import type * as Session from "../../src/Session.js"
import * as SessionRenewer from "../../src/SessionRenewer.js"
import { SessionRepository } from "../../src/SessionRepository.js"
import * as Capture from "../support/Capture.js"
import { expectTag, login, renew } from "../support/Scenario.js"
import { stack } from "../support/Workflows.js"

const memory = () => stack(MemorySessionRepository.layer)

const familyRevoked = (familyId: Session.SessionFamilyId) =>
  Effect.flatMap(SessionRepository, (repo) =>
    Effect.map(
      repo.findFamily(familyId),
      Option.map((f) => f.revoked)
    )
  )

describe("refresh-token reuse", () => {
  it.effect("the rotated token inside the grace is Superseded and revokes nothing", () =>
    Effect.gen(function* () {
      const issued = yield* login()
      const renewed = expectTag(yield* renew(issued.tokens.refreshToken), "Renewed")
      yield* TestClock.adjust("9999 millis")

      const outcome = expectTag(yield* renew(issued.tokens.refreshToken), "Superseded")
      expect(outcome.sessionId).toBe(issued.session.sessionId)
      expect(yield* familyRevoked(issued.session.familyId)).toEqual(Option.some(false))
      expectTag(yield* renew(renewed.tokens.refreshToken), "Renewed")
    }).pipe(Effect.provide(memory()))
  )

  it.effect("after the grace it is ReplayDetected: the family is revoked and its newest token Rejected", () =>
    Effect.gen(function* () {
      const issued = yield* login()
      const other = yield* login()
      const renewed = expectTag(yield* renew(issued.tokens.refreshToken), "Renewed")
      // The grace is exclusive: exactly `refreshReuseGrace` after retirement is already a replay.
      yield* TestClock.adjust("10 seconds")

      const replay = expectTag(yield* renew(issued.tokens.refreshToken), "ReplayDetected")
      expect(replay.sessionId).toBe(issued.session.sessionId)
      expect(replay.familyId).toBe(issued.session.familyId)
      expect(yield* familyRevoked(issued.session.familyId)).toEqual(Option.some(true))
      expect(expectTag(yield* renew(renewed.tokens.refreshToken), "Rejected").reason).toBe("SessionInactive")
      // Presenting the stolen token again stays a replay; other logins are untouched.
      expectTag(yield* renew(issued.tokens.refreshToken), "ReplayDetected")
      expectTag(yield* renew(other.tokens.refreshToken), "Renewed")
    }).pipe(Effect.provide(memory()))
  )

  it.effect("a token older than the direct predecessor is a replay even inside the grace", () =>
    Effect.gen(function* () {
      const issued = yield* login()
      const second = expectTag(yield* renew(issued.tokens.refreshToken), "Renewed")
      const third = expectTag(yield* renew(second.tokens.refreshToken), "Renewed")
      expectTag(yield* renew(issued.tokens.refreshToken), "ReplayDetected")
      expect(expectTag(yield* renew(third.tokens.refreshToken), "Rejected").reason).toBe("SessionInactive")
    }).pipe(Effect.provide(memory()))
  )

  it.effect("with a zero grace every reuse is a replay", () =>
    Effect.gen(function* () {
      const issued = yield* login()
      expectTag(yield* renew(issued.tokens.refreshToken), "Renewed")
      expectTag(yield* renew(issued.tokens.refreshToken), "ReplayDetected")
    }).pipe(Effect.provide(stack(MemorySessionRepository.layer, { config: { refreshReuseGrace: 0 } })))
  )

  it.effect("a replay is counted and logged as a warning with the session and family ids", () =>
    Effect.gen(function* () {
      const counter = Metric.tagged(SessionRenewer.renewalOutcomes, "outcome", "ReplayDetected")
      const before = (yield* Metric.value(counter)).count
      const issued = yield* login()
      expectTag(yield* renew(issued.tokens.refreshToken), "Renewed")
      yield* TestClock.adjust("1 minute")
      expectTag(yield* renew(issued.tokens.refreshToken), "ReplayDetected")

      expect((yield* Metric.value(counter)).count).toBe(before + 1)
      const { logs } = yield* Capture.Captured
      const warning = logs.find((l) => l.level === "WARN")
      expect(warning?.annotations).toMatchObject({
        sessionId: issued.session.sessionId,
        familyId: issued.session.familyId,
        outcome: "ReplayDetected"
      })
      const revokeSpans = yield* Capture.spansNamed("sessions.repository.revokeFamily")
      expect(revokeSpans.map((s) => s.attributes.get("familyId"))).toEqual([issued.session.familyId])
    }).pipe(Effect.provide(Layer.merge(memory(), Capture.layer)))
  )
})

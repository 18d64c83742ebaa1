import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import type * as Renewal from "../../src/Renewal.js"
import { SessionRepository } from "../../src/SessionRepository.js"
import * as Capture from "../support/Capture.js"
import { joseStack } from "../support/JoseStack.js"
import { expectTag, expired, login, renew } from "../support/Scenario.js"
import { stack } from "../support/Workflows.js"
import * as YieldingRepository from "../support/YieldingRepository.js"

const fibers = 64
const repetitions = 100

type Tally = Record<Renewal.RenewalOutcome["_tag"], number>

const emptyTally = (): Tally => ({
  NotNeeded: 0,
  LeaseUnavailable: 0,
  Renewed: 0,
  ReplayDetected: 0,
  Superseded: 0,
  Rejected: 0
})

/** `times` scheduling points before a fiber starts, so start times differ. */
const stagger = (times: number) =>
  Effect.forEach(Array.from({ length: times }), () => Effect.yieldNow(), { discard: true })

/** One login, then `fibers` renewals with its refresh token at once (fiber i first yields `i % spread` times). */
const race = (spread: number) =>
  Effect.gen(function* () {
    const issued = yield* login()
    const outcomes = yield* Effect.all(
      Array.from({ length: fibers }, (_, i) =>
        Effect.zipRight(stagger(i % spread), renew(issued.tokens.refreshToken, expired, "Required"))
      ),
      { concurrency: "unbounded" }
    )
    const tally = emptyTally()
    for (const outcome of outcomes) tally[outcome._tag]++
    expect(tally.Renewed).toBe(1)
    expect(tally.LeaseUnavailable + tally.Superseded).toBe(fibers - 1)

    // The family stays active and the winner's token renews.
    const repo = yield* SessionRepository
    expect(Option.map(yield* repo.findFamily(issued.session.familyId), (f) => f.revoked)).toEqual(Option.some(false))
    const winner = outcomes.find((o) => o._tag === "Renewed")
    if (winner === undefined || winner._tag !== "Renewed") return expect.fail("no winner")
    expectTag(yield* renew(winner.tokens.refreshToken), "Renewed")
    return tally
  })

const repeat = (spread: number) =>
  Effect.gen(function* () {
    const total = emptyTally()
    for (let i = 0; i < repetitions; i++) {
      const tally = yield* race(spread)
      for (const key of Object.keys(total) as Array<keyof Tally>) total[key] += tally[key]
    }
    expect(total.Renewed).toBe(repetitions)
    expect(total.LeaseUnavailable + total.Superseded).toBe(repetitions * (fibers - 1))
    expect(total.ReplayDetected + total.Rejected + total.NotNeeded).toBe(0)
    return total
  })

describe("concurrent renewals with one token", () => {
  it.effect(`${fibers} fibers, ${repetitions} times, in-memory tokens: exactly one Renewed each time`, () =>
    repeat(1).pipe(Effect.provide(stack(MemorySessionRepository.layer)))
  )

  it.effect(`${fibers} fibers, ${repetitions} times, jose-signed tokens: exactly one Renewed each time`, () =>
    repeat(1).pipe(Effect.provide(joseStack(MemorySessionRepository.layer, { alg: "EdDSA" })))
  )

  it.effect(
    `${fibers} fibers with staggered starts, ${repetitions} times, over a store that yields on every call`,
    () =>
      Effect.gen(function* () {
        const total = yield* repeat(8)
        // Staggering makes some fibers look the token up before the rotation and lease it after: the
        // step-8 mismatch path, which must also end in Superseded.
        const rotations = yield* Capture.spansNamed("sessions.repository.rotateRefreshToken")
        const mismatches = rotations.filter((span) => span.attributes.get("outcome") === "RefreshTokenMismatch")
        expect(mismatches.length).toBeGreaterThan(0)
        expect(total.Superseded).toBeGreaterThan(0)
        expect(total.LeaseUnavailable).toBeGreaterThan(0)
      }).pipe(
        Effect.provide(Layer.merge(stack(YieldingRepository.layer(MemorySessionRepository.layer)), Capture.layer))
      )
  )
})

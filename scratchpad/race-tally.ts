// Prints the outcome distribution of the race tests (64 fibers x 100 repetitions) and how many
// rotations ended in a mismatch, for each variant of test/workflows/Races.test.ts.
import { Duration, Effect, Layer, Logger, TestContext } from "effect"
import * as MemorySessionRepository from "../src/MemorySessionRepository.js"
import * as Renewal from "../src/Renewal.js"
import { SessionIssuer } from "../src/SessionIssuer.js"
import { SessionRenewer } from "../src/SessionRenewer.js"
import type * as Tokens from "../src/Tokens.js"
import * as Capture from "../test/support/Capture.js"
import { joseStack } from "../test/support/JoseStack.js"
import { stack } from "../test/support/Workflows.js"
import * as YieldingRepository from "../test/support/YieldingRepository.js"

const expired = Renewal.AuthTokenState.Expired({ expiredFor: Duration.seconds(1) })
const login = Effect.flatMap(SessionIssuer, (issuer) => issuer.issue("alice"))
const renew = (refreshToken: Tokens.RefreshToken) =>
  Effect.flatMap(SessionRenewer, (r) => r.renew({ authTokenState: expired, requirement: "Required", refreshToken }))
const stagger = (times: number) =>
  Effect.forEach(Array.from({ length: times }), () => Effect.yieldNow(), { discard: true })

const run = (spread: number) =>
  Effect.gen(function* () {
    const total: Record<string, number> = {}
    const started = performance.now()
    for (let i = 0; i < 100; i++) {
      const issued = yield* login
      const outcomes = yield* Effect.all(
        Array.from({ length: 64 }, (_, f) => Effect.zipRight(stagger(f % spread), renew(issued.tokens.refreshToken))),
        { concurrency: "unbounded" }
      )
      for (const o of outcomes) total[o._tag] = (total[o._tag] ?? 0) + 1
    }
    const rotations = (yield* Capture.spansNamed("sessions.repository.rotateRefreshToken")).map((s) =>
      String(s.attributes.get("outcome"))
    )
    const rotate: Record<string, number> = {}
    for (const r of rotations) rotate[r] = (rotate[r] ?? 0) + 1
    return { renewals: total, rotations: rotate, ms: Math.round(performance.now() - started) }
  })

const variant = <E>(name: string, spread: number, layer: Layer.Layer<SessionIssuer | SessionRenewer, E>) =>
  Effect.runPromise(
    run(spread).pipe(
      Effect.provide(Layer.merge(layer, Capture.layer)),
      Effect.provide(Layer.merge(TestContext.TestContext, Logger.remove(Logger.defaultLogger)))
    )
  ).then((result) => console.log(name, JSON.stringify(result)))

const main = async () => {
  await variant("in-memory tokens", 1, stack(MemorySessionRepository.layer))
  await variant("jose EdDSA", 1, joseStack(MemorySessionRepository.layer, { alg: "EdDSA" }))
  await variant("staggered, yielding store", 8, stack(YieldingRepository.layer(MemorySessionRepository.layer)))
}
main()

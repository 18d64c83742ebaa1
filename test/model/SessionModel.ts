/**
 * The model-based property test: random sequences of logins, renewals (current token, stale token, a
 * concurrent batch, a Valid access token, an unknown token), revocations (session, family, subject) and
 * clock advances, run against the full workflow stack over a given repository and checked against a
 * plain model, with the invariants of DESIGN.md asserted after every step.
 *
 * `SESSIONS_MODEL_RUNS` sets the number of sequences (default 200); `SESSIONS_MODEL_SEED` (and
 * optionally `SESSIONS_MODEL_PATH`) replays a reported failure.
 */
import { expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Layer, Logger, ManagedRuntime, Redacted, TestClock, TestContext } from "effect"
import fc from "fast-check"
import * as Logout from "../../src/Logout.js"
import * as Renewal from "../../src/Renewal.js"
import type { SessionRepository } from "../../src/SessionRepository.js"
import { SessionRevoker } from "../../src/SessionRevoker.js"
import * as Tokens from "../../src/Tokens.js"
import * as Capture from "../support/Capture.js"
import { hashOf, login, renew, start } from "../support/Scenario.js"
import * as SpyingRepository from "../support/SpyingRepository.js"
import { stack } from "../support/Workflows.js"
import * as YieldingRepository from "../support/YieldingRepository.js"
import * as M from "./ModelState.js"

interface Real {
  readonly run: <A>(effect: Effect.Effect<A, unknown, Context>) => Promise<A>
}

type Context = Layer.Layer.Success<ReturnType<typeof buildLayer>>

function buildLayer(makeLayer: () => Layer.Layer<SessionRepository, unknown>) {
  return Layer.merge(
    stack(SpyingRepository.layer(YieldingRepository.layer(makeLayer())), { config: M.modelConfig }),
    Capture.layer
  ).pipe(Layer.provideMerge(Logger.remove(Logger.defaultLogger)), Layer.provideMerge(TestContext.TestContext))
}

type Cmd = fc.AsyncCommand<M.Model, Real>

const pick = <A>(items: ReadonlyArray<A>, index: number): A | undefined => items[index % Math.max(items.length, 1)]

const subjectAt = (index: number): string => M.subjects[index % M.subjects.length] ?? "alice"

const stateOf = (name: "NearExpiry" | "Expired"): Renewal.AuthTokenState =>
  name === "NearExpiry"
    ? Renewal.AuthTokenState.NearExpiry({ expiresIn: Duration.seconds(30) })
    : Renewal.AuthTokenState.Expired({ expiredFor: Duration.seconds(30) })

/** Runs a step, then the invariants. */
const step = async (model: M.Model, real: Real, body: Effect.Effect<void, unknown, Context>) => {
  await real.run(body)
  await real.run(M.checkInvariants(model))
}

/** Runs a step on the session `index` picks; with no sessions the step only checks the invariants. */
const stepOnSession = (
  model: M.Model,
  real: Real,
  index: number,
  body: (session: M.ModelSession) => Effect.Effect<void, unknown, Context>
) =>
  step(
    model,
    real,
    Effect.suspend(() => {
      const s = pick(model.sessions, index)
      return s === undefined ? Effect.void : body(s)
    })
  )

const held = (tokens: Tokens.IssuedTokenPair) =>
  Effect.map(hashOf(tokens.refreshToken), (hash): M.HeldToken => ({ token: tokens.refreshToken, hash }))

class Login implements Cmd {
  constructor(readonly subject: number) {}
  check = (m: Readonly<M.Model>) => m.sessions.length < 6
  run = (m: M.Model, r: Real) =>
    step(
      m,
      r,
      Effect.gen(this, function* () {
        const subject = subjectAt(this.subject)
        const issued = yield* login(subject)
        expect(DateTime.toEpochMillis(issued.session.createdAt)).toBe(m.now)
        m.sessions.push({
          sessionId: issued.session.sessionId,
          familyId: issued.session.familyId,
          subject,
          createdAt: m.now,
          expiresAt: m.now + M.refreshTtlMs,
          lastSeenAt: undefined,
          revoked: false,
          familyRevoked: false,
          current: { token: issued.tokens.refreshToken, hash: issued.refreshTokenHash },
          retired: []
        })
      })
    )
  toString = () => `login(${subjectAt(this.subject)})`
}

class RenewCurrent implements Cmd {
  constructor(
    readonly index: number,
    readonly state: "NearExpiry" | "Expired",
    readonly requirement: Renewal.RenewalRequirement
  ) {}
  check = (m: Readonly<M.Model>) => m.sessions.length > 0
  run = (m: M.Model, r: Real) =>
    stepOnSession(m, r, this.index, (s) =>
      Effect.gen(this, function* () {
        const outcome = yield* renew(s.current.token, stateOf(this.state), this.requirement)
        const refused = M.refusal(s, m.now)
        if (refused !== undefined) {
          expect(outcome).toEqual(Renewal.RenewalOutcome.Rejected({ reason: refused }))
          return
        }
        if (outcome._tag !== "Renewed") return expect.fail(`expected Renewed, got ${outcome._tag}`)
        M.rotate(s, yield* held(outcome.tokens), m.now)
      })
    )
  toString = () => `renewCurrent(#${this.index}, ${this.state}, ${this.requirement})`
}

class RenewStale implements Cmd {
  /** `which` picks a retired token; none picks the latest, the direct predecessor. */
  constructor(
    readonly index: number,
    readonly which: number | null
  ) {}
  check = (m: Readonly<M.Model>) => m.sessions.some((s) => s.retired.length > 0)
  run = (m: M.Model, r: Real) =>
    step(
      m,
      r,
      Effect.gen(this, function* () {
        const candidates = m.sessions.filter((s) => s.retired.length > 0)
        const s = pick(candidates, this.index)
        const old = s === undefined ? undefined : pick(s.retired, this.which ?? s.retired.length - 1)
        if (s === undefined || old === undefined) return
        const outcome = yield* renew(old.token, stateOf("Expired"), "Required")
        const direct = old === s.retired[s.retired.length - 1]
        if (direct && m.now - old.retiredAt < M.graceMs) {
          expect(outcome).toEqual(Renewal.RenewalOutcome.Superseded({ sessionId: s.sessionId }))
          return
        }
        expect(outcome).toEqual(Renewal.RenewalOutcome.ReplayDetected({ sessionId: s.sessionId, familyId: s.familyId }))
        M.revokeFamily(m, s.familyId)
      })
    )
  toString = () => `renewStale(#${this.index}, retired #${this.which ?? "latest"})`
}

class ConcurrentBatch implements Cmd {
  /** One fiber per entry of `delays`; each yields that many times before renewing, to vary interleavings. */
  constructor(
    readonly index: number,
    readonly delays: ReadonlyArray<number>
  ) {}
  check = (m: Readonly<M.Model>) => m.sessions.length > 0
  run = (m: M.Model, r: Real) =>
    stepOnSession(m, r, this.index, (s) =>
      Effect.gen(this, function* () {
        const outcomes = yield* Effect.all(
          this.delays.map((delay) =>
            Effect.zipRight(
              Effect.forEach(Array.from({ length: delay }), () => Effect.yieldNow(), { discard: true }),
              renew(s.current.token, stateOf("Expired"), "Required")
            )
          ),
          { concurrency: "unbounded" }
        )
        const refused = M.refusal(s, m.now)
        if (refused !== undefined) {
          for (const o of outcomes) expect(o).toEqual(Renewal.RenewalOutcome.Rejected({ reason: refused }))
          return
        }
        const winners = outcomes.filter((o) => o._tag === "Renewed")
        expect(winners).toHaveLength(1)
        for (const o of outcomes) expect(["Renewed", "LeaseUnavailable", "Superseded"]).toContain(o._tag)
        const [winner] = winners
        if (winner === undefined || winner._tag !== "Renewed") return
        M.rotate(s, yield* held(winner.tokens), m.now)
      })
    )
  toString = () => `concurrent(#${this.index}, delays [${this.delays.join(", ")}])`
}

class NoStorageRenewal implements Cmd {
  constructor(
    readonly index: number,
    readonly access: "Valid" | "Invalid"
  ) {}
  check = (m: Readonly<M.Model>) => m.sessions.length > 0
  run = (m: M.Model, r: Real) =>
    stepOnSession(m, r, this.index, (s) =>
      Effect.gen(this, function* () {
        yield* SpyingRepository.reset
        const state =
          this.access === "Valid"
            ? Renewal.AuthTokenState.Valid({ expiresIn: Duration.minutes(10) })
            : Renewal.AuthTokenState.Invalid()
        const outcome = yield* renew(s.current.token, state, "Required")
        expect(outcome._tag).toBe(this.access === "Valid" ? "NotNeeded" : "Rejected")
        expect(yield* SpyingRepository.calls).toEqual([])
      })
    )
  toString = () => `renew${this.access}Access(#${this.index})`
}

class RenewUnknown implements Cmd {
  check = () => true
  run = (m: M.Model, r: Real) =>
    step(
      m,
      r,
      Effect.gen(function* () {
        yield* SpyingRepository.reset
        const token = new Tokens.RefreshToken({ value: Redacted.make("u".repeat(48)) })
        expect(yield* renew(token, stateOf("Expired"), "Required")).toEqual(
          Renewal.RenewalOutcome.Rejected({ reason: "UnknownRefreshToken" })
        )
        expect(yield* SpyingRepository.mutations).toEqual([])
      })
    )
  toString = () => "renewUnknown"
}

class Revoke implements Cmd {
  constructor(
    readonly index: number,
    readonly scope: Logout.LogoutScope
  ) {}
  check = (m: Readonly<M.Model>) => m.sessions.length > 0
  run = (m: M.Model, r: Real) =>
    stepOnSession(m, r, this.index, (s) =>
      Effect.gen(this, function* () {
        const revoker = yield* SessionRevoker
        const request = new Logout.LogoutRequest({ sessionId: s.sessionId, familyId: s.familyId, scope: this.scope })
        const outcome = yield* revoker.revoke(request)
        expect(outcome._tag).toBe(this.scope === "CurrentSession" ? "CurrentSessionRevoked" : "SessionFamilyRevoked")
        if (this.scope === "CurrentSession") s.revoked = true
        else M.revokeFamily(m, s.familyId)
      })
    )
  toString = () => `revoke(#${this.index}, ${this.scope})`
}

class RevokeSubject implements Cmd {
  constructor(readonly subject: number) {}
  check = () => true
  run = (m: M.Model, r: Real) =>
    step(
      m,
      r,
      Effect.gen(this, function* () {
        const subject = subjectAt(this.subject)
        const families = m.sessions.filter((s) => s.subject === subject && !s.familyRevoked)
        const count = yield* Effect.flatMap(SessionRevoker, (revoker) => revoker.revokeSubject(subject))
        expect(count).toBe(families.length)
        for (const s of families) M.revokeFamily(m, s.familyId)
      })
    )
  toString = () => `revokeSubject(${subjectAt(this.subject)})`
}

/** Small steps: inside the grace, and either side of its boundary, where an off-by-one would hide. */
const smallAdvances = [1_000, 9_999, 10_000]

/**
 * Steps past the grace, the lease and the access TTL; 45 minutes, after which a renewal's expiry is cut
 * by the absolute lifetime; and steps past the refresh TTL and the absolute lifetime.
 */
const largeAdvances = [11_000, 31_000, 16 * 60_000, 45 * 60_000, 61 * 60_000, 91 * 60_000]

class Advance implements Cmd {
  constructor(readonly millis: number) {}
  check = () => true
  run = (m: M.Model, r: Real) =>
    step(
      m,
      r,
      Effect.sync(() => {
        m.now += this.millis
      }).pipe(Effect.zipRight(TestClock.adjust(Duration.millis(this.millis))))
    )
  toString = () => `advance(${Duration.format(Duration.millis(this.millis))})`
}

const renewCurrent = fc
  .tuple(
    fc.nat(),
    fc.constantFrom("NearExpiry" as const, "Expired" as const),
    fc.constantFrom("Proactive" as const, "Required" as const)
  )
  .map(([i, state, requirement]) => new RenewCurrent(i, state, requirement))

// Renewal with the current token is listed twice: it is what most sequences should be about.
const commands = fc.commands<M.Model, Real, false>(
  [
    fc.nat({ max: 2 }).map((i) => new Login(i)),
    renewCurrent,
    renewCurrent,
    fc.tuple(fc.nat(), fc.option(fc.nat(), { freq: 2 })).map(([i, j]) => new RenewStale(i, j)),
    fc
      .tuple(fc.nat(), fc.array(fc.nat({ max: 6 }), { minLength: 2, maxLength: 8 }))
      .map(([i, delays]) => new ConcurrentBatch(i, delays)),
    fc
      .tuple(fc.nat(), fc.constantFrom("Valid" as const, "Invalid" as const))
      .map(([i, a]) => new NoStorageRenewal(i, a)),
    fc.constant(new RenewUnknown()),
    fc
      .tuple(fc.nat(), fc.constantFrom("CurrentSession" as const, "SessionFamily" as const))
      .map(([i, s]) => new Revoke(i, s)),
    fc.nat({ max: 2 }).map((i) => new RevokeSubject(i)),
    fc.constantFrom(...smallAdvances).map((ms) => new Advance(ms)),
    fc.constantFrom(...largeAdvances).map((ms) => new Advance(ms))
  ],
  { maxCommands: 30, size: "max" }
)

const envNumber = (name: string): number | undefined => {
  const raw = process.env[name]
  return raw === undefined || raw === "" ? undefined : Number(raw)
}

/**
 * Registers the model-based property for a repository. Each sequence builds one fresh repository.
 */
export const sessionModelProperty = (
  name: string,
  makeLayer: () => Layer.Layer<SessionRepository, unknown>,
  options?: { readonly numRuns?: number }
): void => {
  const numRuns = envNumber("SESSIONS_MODEL_RUNS") ?? options?.numRuns ?? 200
  const seed = envNumber("SESSIONS_MODEL_SEED")
  const path = process.env.SESSIONS_MODEL_PATH
  it(
    `${name}: ${numRuns} random sequences agree with the model and keep the invariants`,
    async () => {
      await fc.assert(
        fc.asyncProperty(commands, async (cmds) => {
          const runtime = ManagedRuntime.make(buildLayer(makeLayer))
          try {
            const real: Real = { run: (effect) => runtime.runPromise(effect) }
            await real.run(TestClock.setTime(start))
            await fc.asyncModelRun(() => ({ model: M.initialModel(start), real }), cmds)
          } finally {
            await runtime.dispose()
          }
        }),
        {
          numRuns,
          ...(seed === undefined ? {} : { seed }),
          ...(path === undefined ? {} : { path }),
          // The seed and the shrunk sequence are in the failure message; keep it to the point.
          verbose: 1
        }
      )
    },
    Math.max(120_000, numRuns * 2_000)
  )
}

import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Redacted, TestClock } from "effect"
import * as jose from "jose"
import * as AuthTokens from "../../src/AuthTokens.js"
import * as Renewal from "../../src/Renewal.js"
import { authorityLayer, classify, epoch, issue, issuer, makeSession, token, verify } from "../support/jose.js"

// Defaults: authTokenTtl 15 minutes, proactiveRenewalWindow 2 minutes, clockSkewTolerance 5 seconds.
const exp = epoch + 15 * 60_000
const window = 2 * 60_000
const skew = 5_000

const at = (millis: number) => TestClock.setTime(millis)

const issuedAt = (millis: number) =>
  Effect.gen(function* () {
    yield* at(millis)
    return yield* issue(yield* makeSession())
  })

describe("classify at each boundary of exp - now", () => {
  it.effect("follows Valid, NearExpiry and Expired exactly at the window and at zero", () =>
    Effect.gen(function* () {
      const token = yield* issuedAt(epoch)
      const cases: ReadonlyArray<readonly [string, number, Renewal.AuthTokenState]> = [
        [
          "just above the window",
          exp - window - 1,
          Renewal.AuthTokenState.Valid({ expiresIn: Duration.millis(window + 1) })
        ],
        ["at the window", exp - window, Renewal.AuthTokenState.NearExpiry({ expiresIn: Duration.millis(window) })],
        ["just above zero", exp - 1, Renewal.AuthTokenState.NearExpiry({ expiresIn: Duration.millis(1) })],
        ["at zero", exp, Renewal.AuthTokenState.Expired({ expiredFor: Duration.zero })],
        ["just past zero", exp + 1, Renewal.AuthTokenState.Expired({ expiredFor: Duration.millis(1) })],
        [
          "within the skew past zero",
          exp + skew,
          Renewal.AuthTokenState.Expired({ expiredFor: Duration.millis(skew) })
        ],
        [
          "past the skew",
          exp + skew + 1_000,
          Renewal.AuthTokenState.Expired({ expiredFor: Duration.millis(skew + 1_000) })
        ],
        ["a day later", exp + 86_400_000, Renewal.AuthTokenState.Expired({ expiredFor: Duration.days(1) })]
      ]
      for (const [label, now, expected] of cases) {
        yield* at(now)
        const state = yield* classify(token)
        expect([label, state]).toEqual([label, expected])
        const verified = yield* Effect.either(verify(token))
        expect([label, verified._tag]).toEqual([label, Renewal.isUsable(expected) ? "Right" : "Left"])
      }
    }).pipe(Effect.provide(authorityLayer()))
  )

  it.effect("an expired token verifies to a TokenError that says so", () =>
    Effect.gen(function* () {
      const token = yield* issuedAt(epoch)
      yield* at(exp + 60_000)
      const error = yield* Effect.flip(verify(token))
      expect(error).toMatchObject({ _tag: "TokenError", reason: "InvalidTokenMaterial" })
      expect(error.message).toContain("expired")
    }).pipe(Effect.provide(authorityLayer()))
  )

  it.effect("a zero proactive window makes NearExpiry unreachable", () =>
    Effect.gen(function* () {
      const token = yield* issuedAt(epoch)
      yield* at(exp - 1)
      expect(yield* classify(token)).toEqual(Renewal.AuthTokenState.Valid({ expiresIn: Duration.millis(1) }))
    }).pipe(Effect.provide(authorityLayer({}, { proactiveRenewalWindow: 0 })))
  )
})

describe("classify with iat in the future", () => {
  // iat is the whole second epoch + 10s; the verifier's clock is set back relative to it.
  const iat = epoch + 10_000

  it.effect("accepts an iat up to the skew tolerance ahead of now", () =>
    Effect.gen(function* () {
      const token = yield* issuedAt(iat)
      for (const now of [iat, iat - 1, iat - skew]) {
        yield* at(now)
        expect((yield* classify(token))._tag).toBe("Valid")
        expect((yield* verify(token)).issuedAt.epochMillis).toBe(iat)
      }
    }).pipe(Effect.provide(authorityLayer()))
  )

  it.effect("refuses an iat further ahead than the skew tolerance", () =>
    Effect.gen(function* () {
      const token = yield* issuedAt(iat)
      for (const now of [iat - skew - 1, iat - 60_000]) {
        yield* at(now)
        expect(yield* classify(token)).toEqual(Renewal.AuthTokenState.Invalid())
        const error = yield* Effect.flip(verify(token))
        expect(error.message).toContain("future")
      }
    }).pipe(Effect.provide(authorityLayer()))
  )

  it.effect("refuses a future iat even on a token whose exp has passed", () =>
    Effect.gen(function* () {
      yield* at(epoch)
      const { active } = yield* Effect.flatMap(AuthTokens.SigningKeys, (keys) => keys.ring)
      const session = yield* makeSession()
      const now = epoch / 1000
      const jwt = yield* Effect.promise(() =>
        new jose.SignJWT({
          iss: issuer,
          sub: session.subjectId,
          sid: session.sessionId,
          jti: "j",
          iat: now + 60,
          exp: now - 60
        })
          .setProtectedHeader({ alg: active.alg, kid: active.kid })
          .sign(Redacted.value(active.privateKey))
      )
      expect(yield* classify(token(jwt))).toEqual(Renewal.AuthTokenState.Invalid())
    }).pipe(Effect.provide(authorityLayer()))
  )
})

import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, TestClock } from "effect"
import * as AuthTokens from "../../src/AuthTokens.js"
import * as SessionConfig from "../../src/SessionConfig.js"
import {
  authorityLayer,
  classify,
  epoch,
  issue,
  issuer,
  makeSession,
  raw,
  segments,
  startClock,
  verify
} from "../support/jose.js"

describe("jwtIssuerLayer", () => {
  for (const alg of AuthTokens.supportedAlgorithms) {
    it.effect(`${alg}: signs a token the local verifier accepts, with exactly the specified claims`, () =>
      Effect.gen(function* () {
        yield* startClock
        const session = yield* makeSession()
        const token = yield* issue(session)
        const { header, payload } = segments(raw(token))
        const keys = yield* AuthTokens.SigningKeys
        const { active } = yield* keys.ring

        expect(header).toEqual({ alg, kid: active.kid })
        expect(payload).toEqual({
          iss: issuer,
          sub: session.subjectId,
          sid: session.sessionId,
          jti: expect.any(String),
          iat: epoch / 1000,
          exp: epoch / 1000 + 15 * 60
        })
        expect(Object.keys(payload as object).sort()).toEqual(["exp", "iat", "iss", "jti", "sid", "sub"])

        const claims = yield* verify(token)
        expect(claims.issuer).toBe(issuer)
        expect(claims.subjectId).toBe(session.subjectId)
        expect(claims.sessionId).toBe(session.sessionId)
        expect(claims.issuedAt.epochMillis).toBe(epoch)
        expect(claims.expiresAt.epochMillis).toBe(epoch + 15 * 60_000)

        const state = yield* classify(token)
        expect(state._tag).toBe("Valid")
      }).pipe(Effect.provide(authorityLayer({ alg })))
    )
  }

  it.effect("exp - iat equals the configured TTL, with iat from the TestClock", () =>
    Effect.gen(function* () {
      yield* startClock
      yield* TestClock.adjust(Duration.millis(123_456))
      const token = yield* issue(yield* makeSession())
      const { payload } = segments(raw(token))
      const { iat, exp } = payload as { iat: number; exp: number }
      expect(iat).toBe(Math.floor((epoch + 123_456) / 1000))
      expect(exp - iat).toBe(7 * 60)
    }).pipe(Effect.provide(authorityLayer({}, { authTokenTtl: "7 minutes", proactiveRenewalWindow: "1 minute" })))
  )

  it.effect("jti is unique over 10,000 tokens", () =>
    Effect.gen(function* () {
      yield* startClock
      const session = yield* makeSession()
      const tokens = yield* Effect.replicateEffect(issue(session), 10_000, { concurrency: 16 })
      const ids = new Set(tokens.map((token) => (segments(raw(token)).payload as { jti: string }).jti))
      expect(ids.size).toBe(10_000)
    }).pipe(Effect.provide(authorityLayer({ alg: "EdDSA" })))
  )

  it.effect("fails with ConfigError without an issuer or with a sub-second TTL", () =>
    Effect.gen(function* () {
      const configs: ReadonlyArray<SessionConfig.SessionConfigInput> = [
        {},
        { issuer, authTokenTtl: "1500 millis", proactiveRenewalWindow: "1 second" }
      ]
      for (const config of configs) {
        const error = yield* Effect.flip(
          Layer.build(
            AuthTokens.jwtIssuerLayer.pipe(
              Layer.provide(AuthTokens.generatedSigningKeysLayer()),
              Layer.provide(SessionConfig.layer(config))
            )
          ).pipe(Effect.scoped)
        )
        expect(error._tag).toBe("ConfigError")
      }
    })
  )
})

import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import * as AuthTokens from "../../src/AuthTokens.js"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import * as SessionConfig from "../../src/SessionConfig.js"
import { SessionRevoker } from "../../src/SessionRevoker.js"
import * as Sessions from "../../src/Sessions.js"
import { expectTag, expired, login, renew } from "../support/Scenario.js"

// The chain the README shows: one `Layer.provide` per dependency.
const Authority = Sessions.layerWithDefaults.pipe(
  Layer.provide(AuthTokens.jwtIssuerLayer),
  Layer.provide(AuthTokens.generatedSigningKeysLayer({ alg: "EdDSA" })),
  Layer.provide(MemorySessionRepository.layer),
  Layer.provide(SessionConfig.layer({ issuer: "https://auth.example.com" }))
)

describe("Sessions.layerWithDefaults", () => {
  it.effect("one provide chain gives a working authority", () =>
    Effect.gen(function* () {
      const issued = yield* login("alice")
      const renewed = expectTag(yield* renew(issued.tokens.refreshToken, expired, "Required"), "Renewed")
      expect(renewed.session.sessionId).toBe(issued.session.sessionId)
      // The default generator's 64-character tokens and the SHA-256 hasher agree across renewals.
      expectTag(yield* renew(renewed.tokens.refreshToken, expired, "Required"), "Renewed")
      expect(yield* Effect.flatMap(SessionRevoker, (revoker) => revoker.revokeSubject("alice"))).toBe(1)
    }).pipe(Effect.provide(Authority))
  )

  it.effect("without an issuer in the configuration the layer fails with ConfigError", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Layer.build(
          Sessions.layerWithDefaults.pipe(
            Layer.provide(AuthTokens.jwtIssuerLayer),
            Layer.provide(AuthTokens.generatedSigningKeysLayer()),
            Layer.provide(MemorySessionRepository.layer),
            Layer.provide(SessionConfig.layer())
          )
        ).pipe(Effect.scoped)
      )
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(JSON.stringify(exit.cause)).toContain("ConfigError")
    })
  )
})

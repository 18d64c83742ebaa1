/**
 * A stand-in access-token issuer for tests about its callers (the workflows), where signing is beside
 * the point. Tests about tokens themselves, the lifecycle test and the no-secrets test use the jose
 * issuer of `src/AuthTokens.ts`.
 */
import { Effect, Layer, Redacted, Ref } from "effect"
import { TokenError } from "../../src/SessionErrors.js"
import * as Tokens from "../../src/Tokens.js"

/** Access tokens `test-access.<sessionId>.<n>`, numbered per layer build. */
export const layer: Layer.Layer<Tokens.AuthTokenIssuer> = Layer.effect(
  Tokens.AuthTokenIssuer,
  Effect.map(Ref.make(0), (counter) => ({
    issue: (session) =>
      Effect.map(
        Ref.updateAndGet(counter, (n) => n + 1),
        (n) => new Tokens.AuthToken({ value: Redacted.make(`test-access.${session.sessionId}.${n}`) })
      )
  }))
)

/** An issuer that always fails, to check that a failed mint changes nothing. */
export const failingLayer: Layer.Layer<Tokens.AuthTokenIssuer> = Layer.succeed(Tokens.AuthTokenIssuer, {
  issue: () => Effect.fail(new TokenError({ reason: "AuthIssuanceFailed", message: "signing refused" }))
})

/**
 * The JWT issuer behind `AuthTokens.jwtIssuerLayer`.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { Clock, Duration, Effect, Either, Option, Redacted } from "effect"
import * as jose from "jose"
import type { SigningKeys } from "../../AuthTokens.js"
import type { ValidSessionConfig } from "../../SessionConfig.js"
import { ConfigError, TokenError } from "../../SessionErrors.js"
import { AuthToken, type AuthTokenIssuer } from "../../Tokens.js"

const invalid = (message: string) => Either.left(new ConfigError({ reason: "Invalid", message }))

const signingFailed = () => new TokenError({ reason: "AuthIssuanceFailed", message: "Signing the access token failed" })

/**
 * Builds the issuer. NumericDate claims are whole seconds, so a sub-second `authTokenTtl` is refused
 * rather than rounded.
 *
 * @since 0.1.0
 * @category internal
 */
export const make = (
  signingKeys: SigningKeys["Type"],
  config: ValidSessionConfig
): Either.Either<AuthTokenIssuer["Type"], ConfigError> =>
  Either.gen(function* () {
    const issuer = yield* Option.match(config.issuer, {
      onNone: () => invalid("issuer is required to issue JWTs"),
      onSome: Either.right
    })
    const ttlMillis = Duration.toMillis(config.authTokenTtl)
    if (ttlMillis % 1000 !== 0) return yield* invalid("authTokenTtl must be a whole number of seconds")
    const ttl = ttlMillis / 1000
    return {
      issue: (session) =>
        Effect.gen(function* () {
          const { active } = yield* signingKeys.ring
          const iat = Math.floor((yield* Clock.currentTimeMillis) / 1000)
          const claims = { iss: issuer, sub: session.subjectId, sid: session.sessionId, jti: randomUUID(), iat }
          const jwt = yield* Effect.tryPromise({
            try: () =>
              new jose.SignJWT({ ...claims, exp: iat + ttl })
                .setProtectedHeader({ alg: active.alg, kid: active.kid })
                .sign(Redacted.value(active.privateKey)),
            catch: signingFailed
          })
          return new AuthToken({ value: Redacted.make(jwt) })
        }).pipe(
          // No stack trace on this span: capturing one costs a large share of an ES256 signature.
          Effect.withSpan("webgates-sessions.AuthTokens.issue", { captureStackTrace: false })
        )
    }
  })

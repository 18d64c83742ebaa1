/**
 * The verifier service behind `AuthTokens.AuthTokenVerifier`: reads `now` from `Clock`, resolves the key
 * set, runs the verification core, and turns its inspection into an `AuthTokenState` or typed claims.
 *
 * @since 0.1.0
 */
import { DateTime, Duration, Effect, Either, Redacted } from "effect"
import * as jose from "jose"
import type { AuthTokenVerifier } from "../../AuthTokens.js"
import { AuthTokenState } from "../../Renewal.js"
import type { TokenError } from "../../SessionErrors.js"
import { AuthTokenClaims, type SigningKeyRing } from "./model.js"
import * as core from "./verify.js"

const invalid = AuthTokenState.Invalid()

const stateOf = (inspection: core.Inspection, windowMillis: number): AuthTokenState => {
  if (inspection._tag === "Refused") return invalid
  const remaining = inspection.remainingMillis
  if (remaining > windowMillis) return AuthTokenState.Valid({ expiresIn: Duration.millis(remaining) })
  if (remaining > 0) return AuthTokenState.NearExpiry({ expiresIn: Duration.millis(remaining) })
  return AuthTokenState.Expired({ expiredFor: Duration.millis(0 - remaining) })
}

const claimsOf = (claims: core.CheckedClaims): AuthTokenClaims =>
  new AuthTokenClaims({
    issuer: claims.iss,
    subjectId: claims.sub,
    sessionId: claims.sid,
    tokenId: claims.jti,
    issuedAt: DateTime.unsafeMake(claims.iat * 1000),
    expiresAt: DateTime.unsafeMake(claims.exp * 1000)
  })

const verdict = (inspection: core.Inspection): Either.Either<AuthTokenClaims, TokenError> => {
  if (inspection._tag === "Refused") return Either.left(core.problemError(inspection.problem))
  if (inspection.remainingMillis <= 0) return Either.left(core.expiredError)
  return Either.right(claimsOf(inspection.claims))
}

/**
 * Builds a verifier over a key resolver, read per call so that a rotating ring is always current.
 *
 * @since 0.1.0
 * @category internal
 */
export const make = (
  resolver: Effect.Effect<jose.JWTVerifyGetKey>,
  settings: core.VerifierSettings
): AuthTokenVerifier["Type"] => {
  // One promise per token, finished inside it: no span and no extra steps, because this runs on every
  // request and a span alone costs about a sixth of an ES256 verification. The caller's span covers it.
  const run = <A>(token: { readonly value: Redacted.Redacted<string> }, finish: (inspection: core.Inspection) => A) =>
    Effect.flatMap(DateTime.now, (now) =>
      Effect.flatMap(resolver, (resolve) =>
        Effect.promise(() => core.inspect(Redacted.value(token.value), resolve, settings, now).then(finish))
      )
    )
  const stateFor = (inspection: core.Inspection) => stateOf(inspection, settings.windowMillis)
  return {
    classify: (token) => run(token, stateFor),
    verify: (token) => Effect.flatten(run(token, verdict))
  }
}

/**
 * A resolver over a fixed list of public JWKs (jose's local key set), requiring a `kid`.
 *
 * @since 0.1.0
 * @category internal
 */
export const staticResolver = (jwks: ReadonlyArray<jose.JWK>): jose.JWTVerifyGetKey =>
  core.requireKid(jose.createLocalJWKSet({ keys: [...jwks] }))

/**
 * A resolver that follows a key ring: each ring gets its local key set once, cached while the ring is current.
 *
 * @since 0.1.0
 * @category internal
 */
export const ringResolver = (ring: Effect.Effect<SigningKeyRing>): Effect.Effect<jose.JWTVerifyGetKey> => {
  const cache = new WeakMap<SigningKeyRing, jose.JWTVerifyGetKey>()
  return Effect.map(ring, (current) => {
    const cached = cache.get(current)
    if (cached !== undefined) return cached
    const resolve = staticResolver(current.jwks.keys)
    cache.set(current, resolve)
    return resolve
  })
}

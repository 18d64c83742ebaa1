/**
 * The verification core of the jose adapter: one `jwtVerify` call, then the design's classification.
 *
 * jose checks the signature, the allowed algorithms, the issuer, the presence of the required claims and
 * `nbf`. An expired token makes jose fail with `JWTExpired` only after its signature and issuer passed,
 * so that failure still proves the token authentic and is classified `Expired`. The future-`iat` rule and
 * the proactive window are applied here, in milliseconds, against the `now` the caller read from `Clock`.
 *
 * @since 0.1.0
 */
import { DateTime, Duration, Either, Option, Schema } from "effect"
import * as jose from "jose"
import { ConfigError, TokenError } from "../../SessionErrors.js"
import { SessionId, SubjectId } from "../../Session.js"
import type { ValidSessionConfig } from "../../SessionConfig.js"
import type { SigningAlgorithm } from "./keys.js"

/**
 * The longest access token inspected at all. Issued tokens are about 400 characters; anything far
 * longer is refused before it is parsed.
 *
 * @since 0.1.0
 * @category internal
 */
export const maxAuthTokenLength = 8192

/**
 * What the verifier needs from the configuration, converted once.
 *
 * @since 0.1.0
 * @category internal
 */
export interface VerifierSettings {
  readonly skewMillis: number
  readonly windowMillis: number
  readonly options: jose.JWTVerifyOptions
}

const requiredClaims = ["iss", "sub", "sid", "jti", "iat", "exp"]

/**
 * Builds the settings; a configuration without an issuer cannot verify tokens.
 *
 * @since 0.1.0
 * @category internal
 */
export const settingsFrom = (
  config: ValidSessionConfig,
  algorithms: ReadonlyArray<SigningAlgorithm>
): Either.Either<VerifierSettings, ConfigError> =>
  Option.match(config.issuer, {
    onNone: () =>
      Either.left(new ConfigError({ reason: "Invalid", message: "issuer is required to verify access tokens" })),
    onSome: (issuer) =>
      Either.right({
        skewMillis: Duration.toMillis(config.clockSkewTolerance),
        windowMillis: Duration.toMillis(config.proactiveRenewalWindow),
        options: {
          issuer,
          algorithms: [...algorithms],
          requiredClaims,
          // jose applies the tolerance to `nbf` (and to `exp`, which is re-judged here in milliseconds).
          clockTolerance: Math.ceil(Duration.toSeconds(config.clockSkewTolerance))
        }
      })
  })

/**
 * Why a token was refused.
 *
 * @since 0.1.0
 * @category internal
 */
export type Problem =
  | "TooLarge"
  | "Malformed"
  | "Forged"
  | "AlgorithmRefused"
  | "WrongIssuer"
  | "UnknownKey"
  | "KeysUnavailable"
  | "NotYetValid"
  | "IssuedInFuture"
  | "ClaimsMalformed"

/**
 * The claims of an authentic token, checked for type.
 *
 * @since 0.1.0
 * @category internal
 */
export interface CheckedClaims {
  readonly iss: string
  readonly sub: SubjectId
  readonly sid: SessionId
  readonly jti: string
  readonly iat: number
  readonly exp: number
}

/**
 * The result of inspecting a token at `now`: authentic, with the milliseconds left until `exp` (zero or
 * negative once expired), or refused with a problem.
 *
 * @since 0.1.0
 * @category internal
 */
export type Inspection =
  | { readonly _tag: "Authentic"; readonly claims: CheckedClaims; readonly remainingMillis: number }
  | { readonly _tag: "Refused"; readonly problem: Problem }

const refused = (problem: Problem): Inspection => ({ _tag: "Refused", problem })

const isSubjectId = Schema.is(SubjectId)
const isSessionId = Schema.is(SessionId)

// Seconds since the epoch within the range of a JavaScript date, so the claims convert to `DateTime`.
const maxNumericDate = 8.64e12

const isNumericDate = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && Math.abs(value) <= maxNumericDate

const authentic = (payload: jose.JWTPayload, settings: VerifierSettings, nowMillis: number): Inspection => {
  const { iss, sub, sid, jti, iat, exp } = payload
  if (
    typeof iss !== "string" ||
    !isSubjectId(sub) ||
    !isSessionId(sid) ||
    typeof jti !== "string" ||
    jti.length === 0 ||
    !isNumericDate(iat) ||
    !isNumericDate(exp)
  ) {
    return refused("ClaimsMalformed")
  }
  if (iat * 1000 - nowMillis > settings.skewMillis) return refused("IssuedInFuture")
  return { _tag: "Authentic", claims: { iss, sub, sid, jti, iat, exp }, remainingMillis: exp * 1000 - nowMillis }
}

/**
 * Raised by a key resolver when the key set itself could not be obtained (network, timeout, bad document),
 * as opposed to a token naming a key that is not in the set.
 *
 * @since 0.1.0
 * @category internal
 */
export class KeysUnavailable extends jose.errors.JOSEError {
  static override code = "ERR_WEBGATES_KEYS_UNAVAILABLE"
  override code = "ERR_WEBGATES_KEYS_UNAVAILABLE"
}

const fromError = (error: unknown, settings: VerifierSettings, nowMillis: number): Inspection => {
  if (error instanceof jose.errors.JWTExpired) {
    // jose reached the `exp` check, so the signature and issuer were verified: the token is authentic.
    return error.claim === "exp" ? authentic(error.payload, settings, nowMillis) : refused("ClaimsMalformed")
  }
  if (error instanceof jose.errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return refused("WrongIssuer")
    if (error.claim === "nbf") return refused("NotYetValid")
    return refused("ClaimsMalformed")
  }
  if (error instanceof KeysUnavailable) return refused("KeysUnavailable")
  if (error instanceof jose.errors.JWSSignatureVerificationFailed) return refused("Forged")
  if (error instanceof jose.errors.JOSEAlgNotAllowed || error instanceof jose.errors.JOSENotSupported) {
    return refused("AlgorithmRefused")
  }
  if (error instanceof jose.errors.JWKSNoMatchingKey || error instanceof jose.errors.JWKSMultipleMatchingKeys) {
    return refused("UnknownKey")
  }
  return refused("Malformed")
}

/**
 * Verifies and inspects a compact JWT. The returned promise never rejects.
 *
 * @since 0.1.0
 * @category internal
 */
export const inspect = (
  jwt: string,
  resolve: jose.JWTVerifyGetKey,
  settings: VerifierSettings,
  now: DateTime.Utc
): Promise<Inspection> => {
  if (jwt.length > maxAuthTokenLength) return Promise.resolve(refused("TooLarge"))
  const nowMillis = now.epochMillis
  return jose.jwtVerify(jwt, resolve, { ...settings.options, currentDate: DateTime.toDateUtc(now) }).then(
    (result) => authentic(result.payload, settings, nowMillis),
    (error: unknown) => fromError(error, settings, nowMillis)
  )
}

const messages: Record<Problem, string> = {
  TooLarge: "The access token is too large",
  Malformed: "The access token is malformed",
  Forged: "The access token signature does not verify",
  AlgorithmRefused: "The access token uses an algorithm that is not allowed",
  WrongIssuer: "The access token was issued by another issuer",
  UnknownKey: "The access token was signed by an unknown key",
  KeysUnavailable: "The verification keys are unavailable",
  NotYetValid: "The access token is not valid yet",
  IssuedInFuture: "The access token was issued further in the future than the clock-skew tolerance",
  ClaimsMalformed: "The access token claims are missing or malformed"
}

/**
 * The safe error for a refused token. Unavailable keys are an infrastructure failure, not bad input.
 *
 * @since 0.1.0
 * @category internal
 */
export const problemError = (problem: Problem): TokenError =>
  new TokenError({
    reason: problem === "KeysUnavailable" ? "Failed" : "InvalidTokenMaterial",
    message: messages[problem]
  })

/**
 * The error for an authentic token that has expired.
 *
 * @since 0.1.0
 * @category internal
 */
export const expiredError: TokenError = new TokenError({
  reason: "InvalidTokenMaterial",
  message: "The access token has expired"
})

/**
 * Wraps a resolver so that a token without a `kid` header never matches: every issued token names its key.
 *
 * @since 0.1.0
 * @category internal
 */
export const requireKid =
  (resolve: jose.JWTVerifyGetKey): jose.JWTVerifyGetKey =>
  (header, token) =>
    typeof header.kid === "string" ? resolve(header, token) : Promise.reject(new jose.errors.JWKSNoMatchingKey())

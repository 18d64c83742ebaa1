/**
 * The typed failures of the library, mirroring the error model of the `webgates-sessions` crate.
 *
 * Every error carries a `reason` (a closed set of literals, so callers can match exhaustively) and a
 * `message` that is safe to show or log: it never contains SQL text, driver messages, token material
 * or key material. Business outcomes such as `Rejected` or `ReplayDetected` are not errors; they are
 * values of `Renewal.RenewalOutcome`.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * A configuration was rejected when the services were built.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly reason: "Invalid"
  readonly message: string
}> {}

/**
 * Why a token operation failed.
 *
 * @since 0.1.0
 * @category errors
 */
export type TokenErrorReason =
  | "GenerationFailed"
  | "HashFailed"
  | "AuthIssuanceFailed"
  | "InvalidTokenMaterial"
  | "InvalidRefreshTokenLength"
  | "Failed"

/**
 * Token generation, hashing, signing or verification failed, or presented material was malformed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SessionErrors, Tokens } from "webgates-sessions"
 *
 * const program = Tokens.refreshTokenFromString("").pipe(
 *   Effect.catchTag("TokenError", (e) => Effect.succeed(e.reason)) // "InvalidTokenMaterial"
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenError extends Data.TaggedError("TokenError")<{
  readonly reason: TokenErrorReason
  readonly message: string
}> {}

/**
 * Why a renewal could not be carried out.
 *
 * @since 0.1.0
 * @category errors
 */
export type RenewalErrorReason = "NotEligible" | "LeaseUnavailable" | "ReplayDetected" | "RotationFailed"

/**
 * A renewal step failed in a way that is not a business outcome.
 *
 * @since 0.1.0
 * @category errors
 */
export class RenewalError extends Data.TaggedError("RenewalError")<{
  readonly reason: RenewalErrorReason
  readonly message: string
}> {}

/**
 * Why a repository operation failed.
 *
 * @since 0.1.0
 * @category errors
 */
export type RepositoryErrorReason =
  | "SessionNotFound"
  | "SessionFamilyNotFound"
  | "Conflict"
  | "InvalidState"
  | "Bootstrap"
  | "Backend"

/**
 * A storage operation failed. Not-found lookups are `Option.none()`, never this error.
 *
 * @since 0.1.0
 * @category errors
 */
export class RepositoryError extends Data.TaggedError("RepositoryError")<{
  readonly reason: RepositoryErrorReason
  readonly message: string
}> {}

/**
 * Why a revocation failed.
 *
 * @since 0.1.0
 * @category errors
 */
export type RevocationErrorReason = "SessionNotFound" | "SessionFamilyNotFound" | "Failed"

/**
 * A revocation could not be carried out.
 *
 * @since 0.1.0
 * @category errors
 */
export class RevocationError extends Data.TaggedError("RevocationError")<{
  readonly reason: RevocationErrorReason
  readonly message: string
}> {}

/**
 * An operation the chosen backend does not provide.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnimplementedError extends Data.TaggedError("UnimplementedError")<{
  readonly reason: "Unimplemented"
  readonly message: string
}> {}

/**
 * Every failure the library can produce.
 *
 * @since 0.1.0
 * @category errors
 */
export type SessionError =
  | ConfigError
  | TokenError
  | RenewalError
  | RepositoryError
  | RevocationError
  | UnimplementedError

/**
 * Builds a {@link ConfigError}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const invalidConfig = (message: string): ConfigError => new ConfigError({ reason: "Invalid", message })

/**
 * Builds a {@link TokenError}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const tokenError = (reason: TokenErrorReason, message: string): TokenError => new TokenError({ reason, message })

/**
 * Builds a {@link RepositoryError}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const repositoryError = (reason: RepositoryErrorReason, message: string): RepositoryError =>
  new RepositoryError({ reason, message })

/**
 * Builds a {@link RevocationError}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const revocationError = (reason: RevocationErrorReason, message: string): RevocationError =>
  new RevocationError({ reason, message })

/**
 * The renewal decision: how a presented access token is classified, what each class asks for, and the
 * outcomes a renewal can end in. `decide` is the design's table, pure and total.
 *
 * @since 0.1.0
 */
import { Data, type Duration, Option } from "effect"
import type { LeaseAcquisition } from "./Lease.js"
import type { Session, SessionFamilyId, SessionId } from "./Session.js"
import type { IssuedTokenPair, RefreshToken } from "./Tokens.js"

/**
 * The state of a presented access token at `now`: `Valid` (more than the proactive window left),
 * `NearExpiry` (inside the window), `Expired` (authentic but past `exp`), or `Invalid` (forged,
 * malformed, wrong issuer, unknown key, future `iat`).
 *
 * @since 0.1.0
 * @category models
 */
export type AuthTokenState = Data.TaggedEnum<{
  Valid: { readonly expiresIn: Duration.Duration }
  NearExpiry: { readonly expiresIn: Duration.Duration }
  Expired: { readonly expiredFor: Duration.Duration }
  Invalid: {}
}>

/**
 * Constructors and matchers for {@link AuthTokenState}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const AuthTokenState = Data.taggedEnum<AuthTokenState>()

/**
 * Whether the token may be used for the request at hand (`Valid` or `NearExpiry`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isUsable = (state: AuthTokenState): boolean => state._tag === "Valid" || state._tag === "NearExpiry"

/**
 * Whether the token is authentic, whatever its expiry (anything but `Invalid`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isAuthentic = (state: AuthTokenState): boolean => state._tag !== "Invalid"

/**
 * `Proactive`: the caller may go on with its current token and renews opportunistically.
 * `Required`: the caller cannot proceed without a fresh token.
 *
 * @since 0.1.0
 * @category models
 */
export type RenewalRequirement = "Proactive" | "Required"

/**
 * What the design's table decides for a state and a requirement.
 *
 * @since 0.1.0
 * @category models
 */
export type RenewalDecision = Data.TaggedEnum<{
  NoRenewal: {}
  AttemptProactiveRenewal: {}
  RequireRenewal: {}
  Reject: {}
}>

/**
 * Constructors and matchers for {@link RenewalDecision}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const RenewalDecision = Data.taggedEnum<RenewalDecision>()

const noRenewal = RenewalDecision.NoRenewal()
const attemptProactive = RenewalDecision.AttemptProactiveRenewal()
const requireRenewal = RenewalDecision.RequireRenewal()
const reject = RenewalDecision.Reject()

/**
 * The renewal decision table.
 *
 * | state | Proactive | Required |
 * | --- | --- | --- |
 * | Valid | NoRenewal | NoRenewal |
 * | NearExpiry | AttemptProactiveRenewal | RequireRenewal |
 * | Expired | RequireRenewal | RequireRenewal |
 * | Invalid | Reject | Reject |
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { Renewal } from "webgates-sessions"
 *
 * Renewal.decide(Renewal.AuthTokenState.NearExpiry({ expiresIn: Duration.seconds(30) }), "Proactive")
 * // { _tag: "AttemptProactiveRenewal" }
 * ```
 *
 * @since 0.1.0
 * @category decisions
 */
export const decide = (state: AuthTokenState, requirement: RenewalRequirement): RenewalDecision => {
  switch (state._tag) {
    case "Valid":
      return noRenewal
    case "NearExpiry":
      return requirement === "Proactive" ? attemptProactive : requireRenewal
    case "Expired":
      return requireRenewal
    case "Invalid":
      return reject
  }
}

/**
 * Whether a decision leads to a renewal attempt.
 *
 * @since 0.1.0
 * @category predicates
 */
export const shouldRenew = (decision: RenewalDecision): boolean =>
  decision._tag === "AttemptProactiveRenewal" || decision._tag === "RequireRenewal"

/**
 * A renewal request: the classified access token, what the caller needs, and the presented refresh token.
 *
 * @since 0.1.0
 * @category models
 */
export interface RenewalRequest {
  readonly authTokenState: AuthTokenState
  readonly requirement: RenewalRequirement
  readonly refreshToken: RefreshToken
}

/**
 * Why a renewal was rejected. Not for end users: tell them only to sign in again.
 *
 * @since 0.1.0
 * @category models
 */
export type RejectionReason =
  | "InvalidAccessToken"
  | "UnknownRefreshToken"
  | "SessionInactive"
  | "AbsoluteLifetimeReached"
  | "SessionMissing"

/**
 * How a renewal ended.
 *
 * - `NotNeeded`: the access token is still valid; storage was not touched.
 * - `LeaseUnavailable`: another renewal holds the session; retry shortly or keep the current tokens.
 * - `Renewed`: rotated; the old refresh token is retired.
 * - `ReplayDetected`: a rotated-away token came back after the grace; the family is revoked.
 * - `Superseded`: the presented token was just rotated by a concurrent renewal (two tabs); nothing revoked.
 * - `Rejected`: unknown token, inactive session, or invalid access token; sign in again.
 *
 * @since 0.1.0
 * @category models
 */
export type RenewalOutcome = Data.TaggedEnum<{
  NotNeeded: {}
  LeaseUnavailable: { readonly acquisition: LeaseAcquisition }
  Renewed: { readonly session: Session; readonly tokens: IssuedTokenPair }
  ReplayDetected: { readonly sessionId: SessionId; readonly familyId: SessionFamilyId }
  Superseded: { readonly sessionId: SessionId }
  Rejected: { readonly reason: RejectionReason }
}>

/**
 * Constructors and matchers for {@link RenewalOutcome}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const RenewalOutcome = Data.taggedEnum<RenewalOutcome>()

/**
 * The new token pair, for a `Renewed` outcome.
 *
 * @since 0.1.0
 * @category accessors
 */
export const tokens = (outcome: RenewalOutcome): Option.Option<IssuedTokenPair> =>
  outcome._tag === "Renewed" ? Option.some(outcome.tokens) : Option.none()

/**
 * The rotated session, for a `Renewed` outcome.
 *
 * @since 0.1.0
 * @category accessors
 */
export const session = (outcome: RenewalOutcome): Option.Option<Session> =>
  outcome._tag === "Renewed" ? Option.some(outcome.session) : Option.none()

/**
 * Whether the outcome is a security signal (`ReplayDetected`) that deserves an alert.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSecuritySignal = (outcome: RenewalOutcome): boolean => outcome._tag === "ReplayDetected"

/**
 * Whether the client should keep its current tokens and may retry (`NotNeeded`, `LeaseUnavailable`,
 * `Superseded`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const keepsCurrentTokens = (outcome: RenewalOutcome): boolean =>
  outcome._tag === "NotNeeded" || outcome._tag === "LeaseUnavailable" || outcome._tag === "Superseded"

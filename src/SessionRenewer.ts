/**
 * The renewal workflow: decide from the access-token state, look the presented refresh token up, tell
 * a benign race from a replay, take a lease, mint a new pair and rotate atomically.
 *
 * The eight steps of the design, in order:
 *
 * 1. `Renewal.decide`: `NoRenewal` is `NotNeeded` with no storage access at all; `Reject` is `Rejected`.
 * 2. Hash the presented refresh token and look it up.
 * 3. Unknown: `Rejected`. Rotated away: `Superseded` when it is the direct predecessor of the current
 *    token and was retired less than `refreshReuseGrace` ago; otherwise a replay: the family is revoked
 *    and the outcome is `ReplayDetected`.
 * 4. Not active at `now` (expired, revoked, or past the absolute lifetime): `Rejected`.
 * 5. Propose a lease; held by another or unavailable: `LeaseUnavailable`.
 * 6. The next session: same ids, `lastSeenAt = now`, `expiresAt = now + refreshTokenTtl` capped by the
 *    absolute lifetime.
 * 7. Mint a token pair for it.
 * 8. Rotate. A mismatch (another renewal rotated first) looks the token up again and applies step 3.
 *
 * @since 0.1.0
 */
import { Context, DateTime, Effect, Layer, Metric, Option } from "effect"
import { absoluteLifetimeReached, policy, sessionExpiry, withinReuseGrace } from "./internal/policy.js"
import * as Lease from "./Lease.js"
import * as Renewal from "./Renewal.js"
import * as Session from "./Session.js"
import type { SessionConfig } from "./SessionConfig.js"
import { type ConfigError, RenewalError, type RepositoryError, type TokenError } from "./SessionErrors.js"
import {
  type RefreshTokenMatch,
  RotateRefreshToken,
  SessionRepository,
  type SessionRepositoryService
} from "./SessionRepository.js"
import * as Tokens from "./Tokens.js"
import { outcomeCounters } from "./internal/observability.js"

/**
 * Counts renewals by outcome: the tag of `Renewal.RenewalOutcome`, or `Failed` for a typed error.
 *
 * @since 0.1.0
 * @category metrics
 */
export const renewalOutcomes = Metric.counter("sessions_renewal_outcomes_total", {
  description: "Session renewal attempts by outcome",
  incremental: true
})

const renewalCounter = outcomeCounters(renewalOutcomes)

/**
 * The renewer's operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionRenewerService {
  /**
   * Renews a session if the access-token state calls for it. Business outcomes (`Rejected`,
   * `ReplayDetected`, ...) are values; the error channel is for malformed token material
   * (`TokenError`), storage failures (`RepositoryError`) and an inconsistent repository answer
   * (`RenewalError` with reason `RotationFailed`).
   */
  readonly renew: (
    request: Renewal.RenewalRequest
  ) => Effect.Effect<Renewal.RenewalOutcome, TokenError | RepositoryError | RenewalError>
}

/**
 * Renews sessions with refresh-token rotation.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Renewal, SessionRenewer, Tokens } from "webgates-sessions"
 *
 * const refresh = (state: Renewal.AuthTokenState, presented: string) =>
 *   Effect.gen(function* () {
 *     const renewer = yield* SessionRenewer.SessionRenewer
 *     const refreshToken = yield* Tokens.refreshTokenFromString(presented)
 *     const outcome = yield* renewer.renew({ authTokenState: state, requirement: "Required", refreshToken })
 *     return Renewal.RenewalOutcome.$match(outcome, {
 *       Renewed: () => "send the new tokens to the client",
 *       NotNeeded: () => "keep the current tokens",
 *       LeaseUnavailable: () => "retry shortly",
 *       Superseded: () => "another tab renewed; retry with its tokens",
 *       ReplayDetected: () => "sign in again (the session family was revoked)",
 *       Rejected: () => "sign in again"
 *     })
 *   })
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class SessionRenewer extends Context.Tag("webgates-sessions/SessionRenewer")<
  SessionRenewer,
  SessionRenewerService
>() {}

type Ids = {
  readonly sessionId: Session.SessionId
  readonly familyId: Session.SessionFamilyId
}

type Failure = TokenError | RepositoryError | RenewalError

const outcome = Renewal.RenewalOutcome
const notNeeded = outcome.NotNeeded()

const logOutcome = (result: Renewal.RenewalOutcome): Effect.Effect<void> => {
  switch (result._tag) {
    case "ReplayDetected":
      return Effect.logWarning("refresh-token replay detected; session family revoked")
    case "Renewed":
      return Effect.logInfo("session renewed")
    case "Rejected":
      return Effect.logInfo("session renewal rejected")
    case "Superseded":
      return Effect.logInfo("session renewal superseded by a concurrent renewal")
    case "LeaseUnavailable":
      return Effect.logDebug("session renewal lease unavailable")
    case "NotNeeded":
      return Effect.logDebug("session renewal not needed")
  }
}

/**
 * Builds the renewer. Fails with `ConfigError` for an invalid configuration.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<
  SessionRenewerService,
  ConfigError,
  SessionConfig | SessionRepository | Lease.RenewalLeases | Tokens.TokenPairIssuer | Tokens.RefreshTokenHasher
> = Effect.gen(function* () {
  const { config, leaseTtl } = yield* policy
  const repository: SessionRepositoryService = yield* SessionRepository
  const leases = yield* Lease.RenewalLeases
  const tokenPairs = yield* Tokens.TokenPairIssuer
  const hasher = yield* Tokens.RefreshTokenHasher

  // Metric, span attribute and log line for the outcome, annotated with the session when it is known.
  const conclude =
    (ids: Ids | undefined) =>
    (result: Renewal.RenewalOutcome): Effect.Effect<Renewal.RenewalOutcome> => {
      const annotations = ids === undefined ? { outcome: result._tag } : { ...ids, outcome: result._tag }
      const reason = result._tag === "Rejected" ? { reason: result.reason } : {}
      return Effect.annotateCurrentSpan({ ...annotations, ...reason }).pipe(
        Effect.zipRight(Metric.increment(renewalCounter(result._tag))),
        Effect.zipRight(logOutcome(result).pipe(Effect.annotateLogs({ ...annotations, ...reason }))),
        Effect.as(result)
      )
    }

  // Step 3 for a token that was rotated away.
  const reuse = (
    retired: Extract<RefreshTokenMatch, { readonly _tag: "Retired" }>,
    now: DateTime.Utc
  ): Effect.Effect<Renewal.RenewalOutcome, RepositoryError> => {
    if (retired.directPredecessor && withinReuseGrace(config, retired.retiredAt, now)) {
      return Effect.succeed(outcome.Superseded({ sessionId: retired.sessionId }))
    }
    return repository.revokeFamily(retired.familyId).pipe(
      // A family purged since the token was retired has nothing left to revoke.
      Effect.catchIf(
        (error) => error.reason === "SessionFamilyNotFound",
        () => Effect.void
      ),
      Effect.as(outcome.ReplayDetected({ sessionId: retired.sessionId, familyId: retired.familyId }))
    )
  }

  // Step 8's mismatch: someone rotated first. Look again and apply step 3 to what the token is now.
  const afterMismatch = (
    hash: Tokens.RefreshTokenHash,
    now: DateTime.Utc
  ): Effect.Effect<Renewal.RenewalOutcome, RepositoryError | RenewalError> =>
    Effect.flatMap(
      repository.findSessionByRefreshTokenHash(hash),
      (match): Effect.Effect<Renewal.RenewalOutcome, RepositoryError | RenewalError> => {
        if (Option.isNone(match)) return Effect.succeed(outcome.Rejected({ reason: "UnknownRefreshToken" }))
        if (match.value._tag === "Retired") return reuse(match.value, now)
        return Effect.fail(
          new RenewalError({
            reason: "RotationFailed",
            message: "The repository reported a mismatch for a refresh token it still holds as current"
          })
        )
      }
    )

  // Steps 4 to 8 for the current token of a session.
  const renewCurrent = (
    lookup: Session.SessionLookup,
    hash: Tokens.RefreshTokenHash,
    now: DateTime.Utc
  ): Effect.Effect<Renewal.RenewalOutcome, Failure> =>
    Effect.gen(function* () {
      const current = lookup.session
      if (current.revoked || lookup.refreshRecord.revoked || lookup.family.revoked) {
        return outcome.Rejected({ reason: "SessionInactive" })
      }
      if (absoluteLifetimeReached(config, current.createdAt, now)) {
        return outcome.Rejected({ reason: "AbsoluteLifetimeReached" })
      }
      if (!Session.isLookupActiveAt(lookup, now)) return outcome.Rejected({ reason: "SessionInactive" })

      const leaseId = yield* Lease.makeLeaseId
      const proposal = Lease.fromTtl({ leaseId, sessionId: current.sessionId, acquiredAt: now, ttl: leaseTtl })
      const acquisition = yield* leases.tryAcquire(proposal)
      if (acquisition._tag !== "Acquired") return outcome.LeaseUnavailable({ acquisition })

      // The fields come from a stored session and Clock; re-validating would rebuild the schema's parser.
      const next = new Session.Session(
        { ...current, lastSeenAt: Option.some(now), expiresAt: sessionExpiry(config, current.createdAt, now) },
        { disableValidation: true }
      )
      const minted = yield* tokenPairs.issue(next)
      const rotation = yield* repository.rotateRefreshToken(
        new RotateRefreshToken({
          sessionId: current.sessionId,
          familyId: current.familyId,
          leaseId: acquisition.lease.leaseId,
          previousHash: hash,
          nextHash: minted.refreshTokenHash,
          nextSession: next,
          now
        })
      )
      switch (rotation._tag) {
        case "Rotated":
          return outcome.Renewed({ session: rotation.session, tokens: minted.tokens })
        case "SessionMissing":
          return outcome.Rejected({ reason: "SessionMissing" })
        case "LeaseUnavailable":
          return outcome.LeaseUnavailable({ acquisition: Lease.LeaseAcquisition.Unavailable() })
        case "RefreshTokenMismatch":
          return yield* afterMismatch(hash, now)
      }
    })

  // Steps 2 to 8.
  const renewFromStorage = (presented: Tokens.RefreshToken): Effect.Effect<Renewal.RenewalOutcome, Failure> =>
    Effect.gen(function* () {
      // A `RefreshToken` can be built without its smart constructor; check the material again before
      // hashing so an empty or megabyte-long value never reaches the hasher or the store.
      const refreshToken = yield* Tokens.refreshTokenFromRedacted(presented.value)
      const hash = yield* hasher.hash(refreshToken)
      const now = yield* DateTime.now
      const match = yield* repository.findSessionByRefreshTokenHash(hash)
      if (Option.isNone(match)) return yield* conclude(undefined)(outcome.Rejected({ reason: "UnknownRefreshToken" }))

      const found = match.value
      const ids: Ids =
        found._tag === "Current"
          ? { sessionId: found.lookup.session.sessionId, familyId: found.lookup.family.familyId }
          : { sessionId: found.sessionId, familyId: found.familyId }
      const decided = found._tag === "Current" ? renewCurrent(found.lookup, hash, now) : reuse(found, now)
      return yield* decided.pipe(Effect.flatMap(conclude(ids)), Effect.annotateLogs(ids))
    })

  const renew = (request: Renewal.RenewalRequest): Effect.Effect<Renewal.RenewalOutcome, Failure> => {
    const decision = Renewal.decide(request.authTokenState, request.requirement)
    const run =
      decision._tag === "NoRenewal"
        ? conclude(undefined)(notNeeded)
        : decision._tag === "Reject"
          ? conclude(undefined)(outcome.Rejected({ reason: "InvalidAccessToken" }))
          : renewFromStorage(request.refreshToken)
    return run.pipe(
      Effect.tapError((error) =>
        Effect.zipRight(
          Metric.increment(renewalCounter("Failed")),
          Effect.logWarning("session renewal failed").pipe(
            Effect.annotateLogs({ outcome: "Failed", error: error._tag, reason: error.reason })
          )
        )
      ),
      Effect.withSpan("sessions.renew", {
        captureStackTrace: false,
        attributes: {
          accessTokenState: request.authTokenState._tag,
          requirement: request.requirement,
          decision: decision._tag
        }
      })
    )
  }

  return { renew }
})

/**
 * The renewer as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<
  SessionRenewer,
  ConfigError,
  SessionConfig | SessionRepository | Lease.RenewalLeases | Tokens.TokenPairIssuer | Tokens.RefreshTokenHasher
> = Layer.effect(SessionRenewer, make)

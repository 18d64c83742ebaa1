/**
 * Renewal leases: short claims that stop two renewers from rotating the same session at once.
 *
 * A renewer proposes a lease before it rotates; the repository stores it unless another lease on the
 * session is still active. Rotation then checks the lease id, so only the holder can rotate.
 *
 * @since 0.1.0
 */
import { Clock, Context, Data, DateTime, Duration, Effect, Either, Layer, Schema } from "effect"
import { dual } from "effect/Function"
import { v7 as uuidv7 } from "uuid"
import type { SessionId } from "./Session.js"
import { ConfigError, type RepositoryError } from "./SessionErrors.js"
import { SessionRepository } from "./SessionRepository.js"

/**
 * A lease identifier (UUIDv7).
 *
 * @since 0.1.0
 * @category ids
 */
export const LeaseId = Schema.UUID.pipe(Schema.brand("LeaseId"))

/**
 * @since 0.1.0
 * @category ids
 */
export type LeaseId = typeof LeaseId.Type

/**
 * A new lease id whose timestamp comes from Effect's `Clock`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeLeaseId: Effect.Effect<LeaseId> = Effect.map(Clock.currentTimeMillis, (msecs) =>
  LeaseId.make(uuidv7({ msecs }))
)

/**
 * A positive, finite lease lifetime.
 *
 * @since 0.1.0
 * @category models
 */
export const LeaseTtl = Schema.DurationFromSelf.pipe(
  Schema.filter((d) => Duration.isFinite(d) && Duration.greaterThan(d, Duration.zero)),
  Schema.brand("LeaseTtl")
)

/**
 * @since 0.1.0
 * @category models
 */
export type LeaseTtl = typeof LeaseTtl.Type

/**
 * Validates a lease lifetime.
 *
 * @since 0.1.0
 * @category constructors
 */
export const leaseTtl = (input: Duration.DurationInput): Either.Either<LeaseTtl, ConfigError> => {
  const duration = Duration.decode(input)
  return Duration.isFinite(duration) && Duration.greaterThan(duration, Duration.zero)
    ? Either.right(LeaseTtl.make(duration, { disableValidation: true }))
    : Either.left(new ConfigError({ reason: "Invalid", message: "A lease TTL must be positive and finite" }))
}

/**
 * A claim on a session's next rotation, from `acquiredAt` until (exclusive) `until`.
 *
 * @since 0.1.0
 * @category models
 */
export class RenewalLease extends Data.Class<{
  readonly leaseId: LeaseId
  readonly sessionId: SessionId
  readonly acquiredAt: DateTime.Utc
  readonly until: DateTime.Utc
}> {}

/**
 * A lease starting at `acquiredAt` and lasting `ttl`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromTtl = (args: {
  readonly leaseId: LeaseId
  readonly sessionId: SessionId
  readonly acquiredAt: DateTime.Utc
  readonly ttl: LeaseTtl
}): RenewalLease =>
  new RenewalLease({
    leaseId: args.leaseId,
    sessionId: args.sessionId,
    acquiredAt: args.acquiredAt,
    until: DateTime.addDuration(args.acquiredAt, args.ttl)
  })

/**
 * Whether a lease is active at `now`: strictly before `until`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isActiveAt: {
  (now: DateTime.Utc): (self: RenewalLease) => boolean
  (self: RenewalLease, now: DateTime.Utc): boolean
} = dual(2, (self: RenewalLease, now: DateTime.Utc): boolean => DateTime.lessThan(now, self.until))

/**
 * The answer to a lease proposal: `Acquired`, `HeldByOther` with the active lease, or `Unavailable`
 * (unknown or revoked session).
 *
 * @since 0.1.0
 * @category models
 */
export type LeaseAcquisition = Data.TaggedEnum<{
  Acquired: { readonly lease: RenewalLease }
  HeldByOther: { readonly activeLease: RenewalLease }
  Unavailable: {}
}>

/**
 * Constructors and matchers for {@link LeaseAcquisition}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const LeaseAcquisition = Data.taggedEnum<LeaseAcquisition>()

/**
 * Coordinates concurrent renewals. The default layer delegates to the repository, so a rotation can
 * check the lease in the same atomic step.
 *
 * @since 0.1.0
 * @category services
 */
export class RenewalLeases extends Context.Tag("webgates-sessions/RenewalLeases")<
  RenewalLeases,
  { readonly tryAcquire: (proposal: RenewalLease) => Effect.Effect<LeaseAcquisition, RepositoryError> }
>() {}

/**
 * Leases stored by the session repository.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromRepository: Layer.Layer<RenewalLeases, never, SessionRepository> = Layer.effect(
  RenewalLeases,
  Effect.map(SessionRepository, (repository) => ({ tryAcquire: repository.tryAcquireRenewalLease }))
)

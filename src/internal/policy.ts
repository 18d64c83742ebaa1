/**
 * The time rules the workflows share: the validated configuration, a session's expiry with the
 * optional absolute lifetime, and the reuse grace.
 *
 * @since 0.1.0
 */
import { DateTime, Duration, Effect, Option } from "effect"
import * as Lease from "../Lease.js"
import { SessionConfig, type ValidSessionConfig, validate } from "../SessionConfig.js"
import type { ConfigError } from "../SessionErrors.js"

/** The workflows' view of the configuration, with the lease TTL already branded. */
export interface Policy {
  readonly config: ValidSessionConfig
  readonly leaseTtl: Lease.LeaseTtl
}

/** The configuration from `SessionConfig`, validated again (see `SessionConfig.validate`). */
export const policy: Effect.Effect<Policy, ConfigError, SessionConfig> = Effect.gen(function* () {
  const config = yield* validate(yield* SessionConfig)
  const leaseTtl = yield* Lease.leaseTtl(config.renewalLeaseTtl)
  return { config, leaseTtl }
})

/** `now + refreshTokenTtl`, capped at `createdAt + absoluteSessionLifetime` when there is one. */
export const sessionExpiry = (config: ValidSessionConfig, createdAt: DateTime.Utc, now: DateTime.Utc): DateTime.Utc => {
  const byTtl = DateTime.addDuration(now, config.refreshTokenTtl)
  return Option.match(config.absoluteSessionLifetime, {
    onNone: () => byTtl,
    onSome: (lifetime) => DateTime.min(byTtl, DateTime.addDuration(createdAt, lifetime))
  })
}

/** Whether `createdAt + absoluteSessionLifetime <= now`. */
export const absoluteLifetimeReached = (
  config: ValidSessionConfig,
  createdAt: DateTime.Utc,
  now: DateTime.Utc
): boolean =>
  Option.exists(config.absoluteSessionLifetime, (lifetime) =>
    DateTime.lessThanOrEqualTo(DateTime.addDuration(createdAt, lifetime), now)
  )

/** Whether a token retired at `retiredAt` is still inside the reuse grace at `now` (strictly less). */
export const withinReuseGrace = (config: ValidSessionConfig, retiredAt: DateTime.Utc, now: DateTime.Utc): boolean =>
  DateTime.toEpochMillis(now) - DateTime.toEpochMillis(retiredAt) < Duration.toMillis(config.refreshReuseGrace)

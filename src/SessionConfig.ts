/**
 * Lifetimes and windows that govern issue and renewal, validated once when the services are built.
 *
 * @since 0.1.0
 */
import { Config, Context, Data, Duration, Effect, Either, Layer, Option } from "effect"
import { ConfigError } from "./SessionErrors.js"

/**
 * The settings a caller may give; every field is optional and falls back to {@link defaults}.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionConfigInput {
  readonly authTokenTtl?: Duration.DurationInput
  readonly refreshTokenTtl?: Duration.DurationInput
  readonly proactiveRenewalWindow?: Duration.DurationInput
  readonly renewalLeaseTtl?: Duration.DurationInput
  readonly clockSkewTolerance?: Duration.DurationInput
  readonly refreshReuseGrace?: Duration.DurationInput
  readonly absoluteSessionLifetime?: Duration.DurationInput | undefined
  readonly issuer?: string | undefined
}

/**
 * A validated configuration. Only {@link make} (and the layers built on it) produce one.
 *
 * @since 0.1.0
 * @category models
 */
export class ValidSessionConfig extends Data.Class<{
  /** Lifetime of an access token. Default 15 minutes. */
  readonly authTokenTtl: Duration.Duration
  /** Lifetime of a refresh token, renewed on every rotation. Default 30 days. */
  readonly refreshTokenTtl: Duration.Duration
  /** How close to expiry an access token counts as `NearExpiry`. Default 2 minutes. */
  readonly proactiveRenewalWindow: Duration.Duration
  /** How long a renewal lease keeps other renewers out. Default 30 seconds. */
  readonly renewalLeaseTtl: Duration.Duration
  /** How far in the future an `iat` may be before a token is `Invalid`. Default 5 seconds. */
  readonly clockSkewTolerance: Duration.Duration
  /** How long a just-rotated token is answered with `Superseded` instead of a replay. Default 10 seconds. */
  readonly refreshReuseGrace: Duration.Duration
  /** A hard cap on a session's age, counted from login. Default none. */
  readonly absoluteSessionLifetime: Option.Option<Duration.Duration>
  /** The `iss` claim of issued access tokens; required for JWT issuance. */
  readonly issuer: Option.Option<string>
}> {}

/**
 * The defaults of the design.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: ValidSessionConfig = new ValidSessionConfig({
  authTokenTtl: Duration.minutes(15),
  refreshTokenTtl: Duration.days(30),
  proactiveRenewalWindow: Duration.minutes(2),
  renewalLeaseTtl: Duration.seconds(30),
  clockSkewTolerance: Duration.seconds(5),
  refreshReuseGrace: Duration.seconds(10),
  absoluteSessionLifetime: Option.none(),
  issuer: Option.none()
})

const invalid = (message: string) => Either.left(new ConfigError({ reason: "Invalid", message }))

const decodeDuration = (
  field: string,
  input: Duration.DurationInput | undefined,
  fallback: Duration.Duration
): Either.Either<Duration.Duration, ConfigError> => {
  if (input === undefined) return Either.right(fallback)
  const decoded = Duration.decodeUnknown(input)
  return Option.match(decoded, {
    onNone: () => invalid(`${field} is not a duration`),
    onSome: Either.right
  })
}

const isPositiveFinite = (d: Duration.Duration) => Duration.isFinite(d) && Duration.greaterThan(d, Duration.zero)

/**
 * Validates a configuration. Zero or negative auth, refresh or lease TTLs, a proactive window or reuse
 * grace longer than the auth TTL, an infinite window, grace or skew tolerance, a non-positive absolute
 * lifetime, a malformed duration and a blank issuer are each a `ConfigError` naming the field.
 *
 * Effect's `Duration` clamps negative input to zero, so a negative TTL is rejected as zero, and a
 * negative window, grace or skew tolerance means zero.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import { SessionConfig } from "webgates-sessions"
 *
 * Either.isLeft(SessionConfig.make({ authTokenTtl: "1 minute", proactiveRenewalWindow: "2 minutes" })) // true
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (input: SessionConfigInput = {}): Either.Either<ValidSessionConfig, ConfigError> =>
  Either.gen(function* () {
    const authTokenTtl = yield* decodeDuration("authTokenTtl", input.authTokenTtl, defaults.authTokenTtl)
    const refreshTokenTtl = yield* decodeDuration("refreshTokenTtl", input.refreshTokenTtl, defaults.refreshTokenTtl)
    const proactiveRenewalWindow = yield* decodeDuration(
      "proactiveRenewalWindow",
      input.proactiveRenewalWindow,
      defaults.proactiveRenewalWindow
    )
    const renewalLeaseTtl = yield* decodeDuration("renewalLeaseTtl", input.renewalLeaseTtl, defaults.renewalLeaseTtl)
    const clockSkewTolerance = yield* decodeDuration(
      "clockSkewTolerance",
      input.clockSkewTolerance,
      defaults.clockSkewTolerance
    )
    const refreshReuseGrace = yield* decodeDuration(
      "refreshReuseGrace",
      input.refreshReuseGrace,
      defaults.refreshReuseGrace
    )
    const absoluteSessionLifetime =
      input.absoluteSessionLifetime === undefined
        ? Option.none<Duration.Duration>()
        : Option.some(yield* decodeDuration("absoluteSessionLifetime", input.absoluteSessionLifetime, Duration.zero))

    return yield* validate(
      new ValidSessionConfig({
        authTokenTtl,
        refreshTokenTtl,
        proactiveRenewalWindow,
        renewalLeaseTtl,
        clockSkewTolerance,
        refreshReuseGrace,
        absoluteSessionLifetime,
        issuer: Option.fromNullable(input.issuer)
      })
    )
  })

/**
 * Checks the rules of {@link make} on an already built configuration. `ValidSessionConfig` has a public
 * constructor, so the services check what they are given with this when they are built.
 *
 * @since 0.1.0
 * @category constructors
 */
export const validate = (config: ValidSessionConfig): Either.Either<ValidSessionConfig, ConfigError> => {
  const { authTokenTtl, refreshTokenTtl, renewalLeaseTtl, proactiveRenewalWindow, refreshReuseGrace } = config
  if (!isPositiveFinite(authTokenTtl)) return invalid("authTokenTtl must be positive and finite")
  if (!isPositiveFinite(refreshTokenTtl)) return invalid("refreshTokenTtl must be positive and finite")
  if (!isPositiveFinite(renewalLeaseTtl)) return invalid("renewalLeaseTtl must be positive and finite")
  if (!Duration.isFinite(proactiveRenewalWindow)) return invalid("proactiveRenewalWindow must be finite")
  if (Duration.greaterThan(proactiveRenewalWindow, authTokenTtl)) {
    return invalid("proactiveRenewalWindow must not be longer than authTokenTtl")
  }
  if (!Duration.isFinite(refreshReuseGrace)) return invalid("refreshReuseGrace must be finite")
  if (Duration.greaterThan(refreshReuseGrace, authTokenTtl)) {
    return invalid("refreshReuseGrace must not be longer than authTokenTtl")
  }
  if (!Duration.isFinite(config.clockSkewTolerance)) return invalid("clockSkewTolerance must be finite")
  if (Option.exists(config.absoluteSessionLifetime, (d) => !isPositiveFinite(d))) {
    return invalid("absoluteSessionLifetime must be positive and finite")
  }
  if (Option.exists(config.issuer, (issuer) => issuer.trim().length === 0)) return invalid("issuer must not be blank")
  return Either.right(config)
}

/**
 * The validated configuration, as a service.
 *
 * @since 0.1.0
 * @category services
 */
export class SessionConfig extends Context.Tag("webgates-sessions/SessionConfig")<
  SessionConfig,
  ValidSessionConfig
>() {}

/**
 * A layer from explicit settings; an invalid configuration fails the layer with `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (input: SessionConfigInput = {}): Layer.Layer<SessionConfig, ConfigError> =>
  Layer.effect(SessionConfig, make(input))

/**
 * The settings read from Effect's `ConfigProvider` (the environment by default). Each variable is
 * optional; durations use Effect's duration syntax such as `15 minutes` or `30 seconds`.
 *
 * | variable | field |
 * | --- | --- |
 * | `SESSIONS_AUTH_TOKEN_TTL` | authTokenTtl |
 * | `SESSIONS_REFRESH_TOKEN_TTL` | refreshTokenTtl |
 * | `SESSIONS_PROACTIVE_RENEWAL_WINDOW` | proactiveRenewalWindow |
 * | `SESSIONS_RENEWAL_LEASE_TTL` | renewalLeaseTtl |
 * | `SESSIONS_CLOCK_SKEW_TOLERANCE` | clockSkewTolerance |
 * | `SESSIONS_REFRESH_REUSE_GRACE` | refreshReuseGrace |
 * | `SESSIONS_ABSOLUTE_SESSION_LIFETIME` | absoluteSessionLifetime |
 * | `SESSIONS_ISSUER` | issuer |
 *
 * @since 0.1.0
 * @category config
 */
export const fromEnv: Config.Config<SessionConfigInput> = Config.all({
  authTokenTtl: Config.option(Config.duration("SESSIONS_AUTH_TOKEN_TTL")),
  refreshTokenTtl: Config.option(Config.duration("SESSIONS_REFRESH_TOKEN_TTL")),
  proactiveRenewalWindow: Config.option(Config.duration("SESSIONS_PROACTIVE_RENEWAL_WINDOW")),
  renewalLeaseTtl: Config.option(Config.duration("SESSIONS_RENEWAL_LEASE_TTL")),
  clockSkewTolerance: Config.option(Config.duration("SESSIONS_CLOCK_SKEW_TOLERANCE")),
  refreshReuseGrace: Config.option(Config.duration("SESSIONS_REFRESH_REUSE_GRACE")),
  absoluteSessionLifetime: Config.option(Config.duration("SESSIONS_ABSOLUTE_SESSION_LIFETIME")),
  issuer: Config.option(Config.string("SESSIONS_ISSUER"))
}).pipe(
  Config.map(
    (fields): SessionConfigInput => ({
      ...Option.match(fields.authTokenTtl, { onNone: () => ({}), onSome: (authTokenTtl) => ({ authTokenTtl }) }),
      ...Option.match(fields.refreshTokenTtl, {
        onNone: () => ({}),
        onSome: (refreshTokenTtl) => ({ refreshTokenTtl })
      }),
      ...Option.match(fields.proactiveRenewalWindow, {
        onNone: () => ({}),
        onSome: (proactiveRenewalWindow) => ({ proactiveRenewalWindow })
      }),
      ...Option.match(fields.renewalLeaseTtl, {
        onNone: () => ({}),
        onSome: (renewalLeaseTtl) => ({ renewalLeaseTtl })
      }),
      ...Option.match(fields.clockSkewTolerance, {
        onNone: () => ({}),
        onSome: (clockSkewTolerance) => ({ clockSkewTolerance })
      }),
      ...Option.match(fields.refreshReuseGrace, {
        onNone: () => ({}),
        onSome: (refreshReuseGrace) => ({ refreshReuseGrace })
      }),
      absoluteSessionLifetime: Option.getOrUndefined(fields.absoluteSessionLifetime),
      issuer: Option.getOrUndefined(fields.issuer)
    })
  )
)

/**
 * A layer reading {@link fromEnv}; a missing or malformed variable, or an invalid combination, fails
 * the layer with `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFromEnv: Layer.Layer<SessionConfig, ConfigError> = Layer.effect(
  SessionConfig,
  Effect.flatMap(
    Effect.mapError(
      fromEnv,
      () => new ConfigError({ reason: "Invalid", message: "The SESSIONS_* environment variables are malformed" })
    ),
    make
  )
)

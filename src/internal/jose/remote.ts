/**
 * The remote key set of a resource service: jose's `createRemoteJWKSet` (fetch, cache, cooldown, one
 * refresh on an unknown `kid`), plus a fallback to the last fetched set when a refresh fails.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Either, Option } from "effect"
import * as jose from "jose"
import { ConfigError } from "../../SessionErrors.js"
import { KeysUnavailable } from "./verify.js"

/**
 * How a remote JWKS is fetched and cached.
 *
 * @since 0.1.0
 * @category internal
 */
export interface RemoteJwksOptions {
  readonly cacheMaxAge?: Duration.DurationInput | undefined
  readonly cooldown?: Duration.DurationInput | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly allowInsecureHttp?: boolean | undefined
}

/**
 * The remote set's timings, in milliseconds.
 *
 * @since 0.1.0
 * @category internal
 */
export interface RemoteSettings {
  readonly cacheMaxAgeMillis: number
  readonly cooldownMillis: number
  readonly timeoutMillis: number
  readonly headers: Record<string, string>
}

const isKeyMismatch = (error: unknown): boolean =>
  error instanceof jose.errors.JWKSNoMatchingKey ||
  error instanceof jose.errors.JWKSMultipleMatchingKeys ||
  error instanceof jose.errors.JOSENotSupported

/**
 * A key resolver over a remote JWKS. When a refresh fails (the authority is down, a timeout, a bad
 * document) and a set was fetched before, the last fetched set keeps answering: a resource service stays
 * up through an outage of the authority's key endpoint, and it keeps trusting the keys it last saw.
 * Without any fetched set the failure is `KeysUnavailable`. jose times its cache and cooldown with the
 * wall clock, not with Effect's `Clock`.
 *
 * @since 0.1.0
 * @category internal
 */
export const remoteResolver = (url: URL, settings: RemoteSettings): jose.JWTVerifyGetKey => {
  const remote = jose.createRemoteJWKSet(url, {
    cacheMaxAge: settings.cacheMaxAgeMillis,
    cooldownDuration: settings.cooldownMillis,
    timeoutDuration: settings.timeoutMillis,
    headers: settings.headers
  })
  let stale: { readonly document: string; readonly resolve: jose.JWTVerifyGetKey } | undefined
  const fromLastFetched: jose.JWTVerifyGetKey = (header, token) => {
    const known = remote.jwks()
    if (known === undefined) return Promise.reject(new KeysUnavailable("The key set could not be fetched"))
    const document = JSON.stringify(known)
    if (stale === undefined || stale.document !== document) {
      stale = { document, resolve: jose.createLocalJWKSet(known) }
    }
    return stale.resolve(header, token)
  }
  return (header, token) =>
    remote(header, token).catch((error: unknown) =>
      isKeyMismatch(error) ? Promise.reject(error) : fromLastFetched(header, token)
    )
}

const invalid = (message: string) => new ConfigError({ reason: "Invalid", message })

const millisOf = (
  name: string,
  input: Duration.DurationInput | undefined,
  fallback: Duration.Duration
): Either.Either<number, ConfigError> =>
  Option.match(
    Option.filter(input === undefined ? Option.some(fallback) : Duration.decodeUnknown(input), Duration.isFinite),
    {
      onNone: () => Either.left(invalid(`${name} must be a finite duration`)),
      onSome: (duration) => Either.right(Math.round(Duration.toMillis(duration)))
    }
  )

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"])

const checkedUrl = (input: string | URL, allowInsecureHttp: boolean): Either.Either<URL, ConfigError> => {
  const url = URL.canParse(String(input)) ? new URL(String(input)) : undefined
  if (url === undefined) return Either.left(invalid("The JWKS URL is not a valid URL"))
  if (url.protocol === "https:") return Either.right(url)
  if (url.protocol === "http:" && (allowInsecureHttp || loopbackHosts.has(url.hostname))) return Either.right(url)
  return Either.left(invalid("The JWKS URL must use https (plain http only for loopback or when allowed)"))
}

/**
 * Validates the URL and options and builds the resolver; nothing is fetched until the first token.
 *
 * @since 0.1.0
 * @category internal
 */
export const resolverFor = (
  input: string | URL,
  options: RemoteJwksOptions
): Effect.Effect<jose.JWTVerifyGetKey, ConfigError> =>
  Effect.gen(function* () {
    const url = yield* checkedUrl(input, options.allowInsecureHttp === true)
    const cacheMaxAgeMillis = yield* millisOf("cacheMaxAge", options.cacheMaxAge, Duration.minutes(10))
    const cooldownMillis = yield* millisOf("cooldown", options.cooldown, Duration.seconds(30))
    const timeoutMillis = yield* millisOf("timeout", options.timeout, Duration.seconds(5))
    return yield* Effect.try({
      try: () =>
        remoteResolver(url, { cacheMaxAgeMillis, cooldownMillis, timeoutMillis, headers: { ...options.headers } }),
      catch: () => invalid("The remote JWKS options are invalid")
    })
  })

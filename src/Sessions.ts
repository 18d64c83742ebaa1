/**
 * The three workflows together: `SessionIssuer`, `SessionRenewer` and `SessionRevoker`, as one layer.
 *
 * {@link layer} takes every dependency from its caller, so each one can be swapped (a spying repository,
 * another lease coordinator, a keyed hasher). {@link layerWithDefaults} fills in the usual choices
 * (leases stored by the repository, 64-character CSPRNG refresh tokens, SHA-256 hashes), leaving the
 * configuration, the storage and the access-token issuer to the caller.
 *
 * @since 0.1.0
 */
import { Layer } from "effect"
import * as Lease from "./Lease.js"
import type { SessionConfig } from "./SessionConfig.js"
import type { ConfigError } from "./SessionErrors.js"
import * as SessionIssuer from "./SessionIssuer.js"
import * as SessionRenewer from "./SessionRenewer.js"
import type { SessionRepository } from "./SessionRepository.js"
import * as SessionRevoker from "./SessionRevoker.js"
import * as Tokens from "./Tokens.js"

/**
 * The services {@link layer} provides.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = SessionIssuer.SessionIssuer | SessionRenewer.SessionRenewer | SessionRevoker.SessionRevoker

/**
 * Issuer, renewer and revoker over the given configuration, repository, leases, token-pair issuer and
 * refresh-token hasher. The hasher must be the one the token-pair issuer uses, since renewal hashes the
 * presented token to find it. An invalid configuration fails the layer with `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<
  Services,
  ConfigError,
  SessionConfig | SessionRepository | Lease.RenewalLeases | Tokens.TokenPairIssuer | Tokens.RefreshTokenHasher
> = Layer.mergeAll(SessionIssuer.layer, SessionRenewer.layer, SessionRevoker.layer)

/**
 * {@link layer} with leases stored by the repository (`Lease.layerFromRepository`), the default
 * refresh-token generator and the SHA-256 hasher. What is left to provide: `SessionConfig`, a
 * `SessionRepository` and a `Tokens.AuthTokenIssuer`, in one `Layer.provide` chain.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { AuthTokens, MemorySessionRepository, SessionConfig, Sessions } from "webgates-sessions"
 *
 * const Authority = Sessions.layerWithDefaults.pipe(
 *   Layer.provide(AuthTokens.jwtIssuerLayer),
 *   Layer.provide(AuthTokens.generatedSigningKeysLayer()),
 *   Layer.provide(MemorySessionRepository.layer),
 *   Layer.provide(SessionConfig.layer({ issuer: "https://auth.example.com" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithDefaults: Layer.Layer<
  Services,
  ConfigError,
  SessionConfig | SessionRepository | Tokens.AuthTokenIssuer
> = layer.pipe(
  Layer.provide(Layer.merge(Lease.layerFromRepository, Tokens.tokenPairIssuerLayer)),
  Layer.provide(Tokens.defaultTokenMaterialLayer)
)

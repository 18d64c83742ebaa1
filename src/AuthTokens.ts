/**
 * Access tokens with jose: the authority's signing keys and their JWKS, the JWT issuer, and the verifier a
 * resource service builds from public keys alone to classify presented tokens.
 *
 * Keys are imported once, when a layer is built: private keys as non-extractable `CryptoKey`s held in a
 * `Redacted`, public keys with their JWK. ES384 is the default; ES256 and EdDSA (Ed25519) are selectable.
 * HMAC, RSA and `none` are refused at load. A key ring holds one active signer and every published
 * verification key, so keys rotate without invalidating tokens already issued.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, type Redacted } from "effect"
import * as issuer from "./internal/jose/issuer.js"
import * as keys from "./internal/jose/keys.js"
import * as loaders from "./internal/jose/loaders.js"
import type * as model from "./internal/jose/model.js"
import * as remote from "./internal/jose/remote.js"
import * as signingKeys from "./internal/jose/signingKeys.js"
import * as verifier from "./internal/jose/verifier.js"
import * as core from "./internal/jose/verify.js"
import type * as Renewal from "./Renewal.js"
import * as SessionConfig from "./SessionConfig.js"
import type { ConfigError, TokenError } from "./SessionErrors.js"
import * as Tokens from "./Tokens.js"

type SigningKey = model.SigningKey
type VerificationKey = model.VerificationKey
type SigningKeyRing = model.SigningKeyRing

/**
 * A supported signature algorithm: `ES384` (P-384, the default), `ES256` (P-256) or `EdDSA` (Ed25519).
 *
 * @since 0.1.0
 * @category models
 */
export type SigningAlgorithm = keys.SigningAlgorithm

/**
 * Every supported algorithm. Verifiers accept exactly these.
 *
 * @since 0.1.0
 * @category constants
 */
export const supportedAlgorithms: ReadonlyArray<SigningAlgorithm> = keys.supportedAlgorithms

/**
 * A published public key: `kty`, `crv`, `x` (and `y` for EC), `kid`, `alg` and `use: "sig"`; never a
 * private member.
 *
 * @since 0.1.0
 * @category models
 */
export type PublicJwk = keys.PublicJwk

/**
 * The JWKS document an authority publishes.
 *
 * @since 0.1.0
 * @category models
 */
export type JsonWebKeySet = model.JsonWebKeySet

/**
 * The models: `VerificationKey` (a public key imported once), `SigningKey` (a non-extractable private key
 * in a `Redacted`, with its verification key), `SigningKeyRing` (one active signer and the published keys,
 * with its `jwks`) and `AuthTokenClaims` (the verified claims of a token).
 *
 * @since 0.1.0
 * @category models
 */
export { AuthTokenClaims, SigningKey, SigningKeyRing, VerificationKey } from "./internal/jose/model.js"

/**
 * Loading keys: `generateSigningKey` (in process, for development and tests), `signingKeyFromPem` (PKCS#8),
 * `signingKeyFromJwk` (a private JWK in a `Redacted`), `verificationKeyFromPem` (SPKI),
 * `verificationKeyFromJwk` and `verificationKeysFromJwks`, with their inputs `KeyOptions`,
 * `PemSigningKeyInput` and `PemVerificationKeyInput`. Each import happens once; HMAC, RSA and `none` are
 * refused with a `TokenError`, and every signing key passes a sign-and-verify self-test.
 *
 * @since 0.1.0
 * @category constructors
 */
export {
  generateSigningKey,
  type KeyOptions,
  type PemSigningKeyInput,
  type PemVerificationKeyInput,
  signingKeyFromJwk,
  signingKeyFromPem,
  verificationKeyFromJwk,
  verificationKeyFromPem,
  verificationKeysFromJwks
} from "./internal/jose/loaders.js"

/**
 * The authority's keys: a ring with one active signer and the published verification keys. Rotation,
 * publication and retirement replace the ring atomically; issuers and local verifiers read it per token.
 *
 * @since 0.1.0
 * @category services
 */
export class SigningKeys extends Context.Tag("webgates-sessions/SigningKeys")<
  SigningKeys,
  {
    /** The current ring. */
    readonly ring: Effect.Effect<SigningKeyRing>
    /** The current public JWKS, to serve at the authority's JWKS endpoint. */
    readonly jwks: Effect.Effect<JsonWebKeySet>
    /** Makes `next` the signer; the previous signer stays published until retired. */
    readonly rotate: (next: SigningKey) => Effect.Effect<SigningKeyRing, TokenError>
    /** Publishes a verification key without signing with it, such as the next key before a rotation. */
    readonly publish: (key: VerificationKey) => Effect.Effect<SigningKeyRing, TokenError>
    /** Stops publishing a key; tokens it signed become `Invalid`. Fails for the active key or an unknown kid. */
    readonly retire: (kid: string) => Effect.Effect<SigningKeyRing, TokenError>
  }
>() {}

/**
 * Builds the key-ring service from an active signing key and further verification keys (such as keys
 * retired from signing whose tokens must still verify).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSigningKeys = (
  active: SigningKey,
  verificationKeys: Iterable<VerificationKey> = []
): Effect.Effect<SigningKeys["Type"], TokenError> => signingKeys.make(active, verificationKeys)

/**
 * The key-ring service as a layer, from effects that load the keys.
 *
 * @since 0.1.0
 * @category layers
 */
export const signingKeysLayer = (
  active: Effect.Effect<SigningKey, TokenError>,
  verificationKeys: Effect.Effect<ReadonlyArray<VerificationKey>, TokenError> = Effect.succeed([])
): Layer.Layer<SigningKeys, TokenError> =>
  Layer.effect(
    SigningKeys,
    Effect.flatMap(Effect.all([active, verificationKeys]), ([signer, others]) => makeSigningKeys(signer, others))
  )

/**
 * A ring with one key generated in process: for development and tests, never for several authority
 * instances (each would sign with its own key).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthTokens } from "webgates-sessions"
 *
 * const jwks = Effect.flatMap(AuthTokens.SigningKeys, (keys) => keys.jwks).pipe(
 *   Effect.provide(AuthTokens.generatedSigningKeysLayer({ alg: "EdDSA", kid: "dev" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const generatedSigningKeysLayer = (options: loaders.KeyOptions = {}): Layer.Layer<SigningKeys, TokenError> =>
  signingKeysLayer(loaders.generateSigningKey(options))

/**
 * The PEM inputs of a ring: the active PKCS#8 private key and SPKI public keys still to be published.
 *
 * @since 0.1.0
 * @category models
 */
export interface PemKeysInput {
  readonly active: loaders.PemSigningKeyInput
  readonly verificationKeys?: ReadonlyArray<loaders.PemVerificationKeyInput> | undefined
}

/**
 * A ring from PEM keys.
 *
 * @example
 * ```ts
 * import { Config, Effect, Layer } from "effect"
 * import { AuthTokens } from "webgates-sessions"
 *
 * const keys = Layer.unwrapEffect(
 *   Effect.map(Config.redacted("SIGNING_KEY_PEM"), (privateKey) =>
 *     AuthTokens.signingKeysFromPemLayer({ active: { kid: "2025-01", privateKey } })
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const signingKeysFromPemLayer = (input: PemKeysInput): Layer.Layer<SigningKeys, TokenError> =>
  signingKeysLayer(
    loaders.signingKeyFromPem(input.active),
    Effect.forEach(input.verificationKeys ?? [], loaders.verificationKeyFromPem)
  )

/**
 * The JWK inputs of a ring: the active private JWK (`Redacted`) and a JWKS of keys still to be published.
 *
 * @since 0.1.0
 * @category models
 */
export interface JwkKeysInput {
  readonly active: Redacted.Redacted<unknown>
  readonly verificationKeys?: unknown
}

/**
 * A ring from a private JWK and, optionally, a JWKS of further verification keys.
 *
 * @since 0.1.0
 * @category layers
 */
export const signingKeysFromJwksLayer = (input: JwkKeysInput): Layer.Layer<SigningKeys, TokenError> =>
  signingKeysLayer(
    loaders.signingKeyFromJwk(input.active),
    input.verificationKeys === undefined ? Effect.succeed([]) : loaders.verificationKeysFromJwks(input.verificationKeys)
  )

/**
 * The access-token issuer tag, the same tag as `Tokens.AuthTokenIssuer`.
 *
 * @since 0.1.0
 * @category services
 */
export { AuthTokenIssuer } from "./Tokens.js"

/**
 * The JWT issuer: header `alg` and `kid` of the active key; claims `iss`, `sub` (subject id), `sid`
 * (session id), `jti` (a random UUID), `iat` and `exp = iat + authTokenTtl`, in whole seconds from `Clock`.
 * Fails with `ConfigError` when the configuration has no issuer or a sub-second `authTokenTtl`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeJwtIssuer: Effect.Effect<
  Tokens.AuthTokenIssuer["Type"],
  ConfigError,
  SigningKeys | SessionConfig.SessionConfig
> = Effect.flatMap(Effect.all([SigningKeys, SessionConfig.SessionConfig]), ([keyRing, config]) =>
  issuer.make(keyRing, config)
)

/**
 * The JWT issuer as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const jwtIssuerLayer: Layer.Layer<
  Tokens.AuthTokenIssuer,
  ConfigError,
  SigningKeys | SessionConfig.SessionConfig
> = Layer.effect(Tokens.AuthTokenIssuer, makeJwtIssuer)

/**
 * Verifies access tokens with public keys only. `verify` returns the claims of a usable token (`Valid` or
 * `NearExpiry`) or a `TokenError`; `classify` returns the token's `AuthTokenState` and never fails:
 * malformed, forged, wrong-issuer, unknown-key, `alg: none` and future-`iat` tokens are all `Invalid`,
 * while an authentic expired token is `Expired`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuthTokens, Renewal, Tokens } from "webgates-sessions"
 *
 * declare const token: Tokens.AuthToken
 * const decision = Effect.map(
 *   Effect.flatMap(AuthTokens.AuthTokenVerifier, (verifier) => verifier.classify(token)),
 *   (state) => Renewal.decide(state, "Proactive")
 * )
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class AuthTokenVerifier extends Context.Tag("webgates-sessions/AuthTokenVerifier")<
  AuthTokenVerifier,
  {
    readonly verify: (token: Tokens.AuthToken) => Effect.Effect<model.AuthTokenClaims, TokenError>
    readonly classify: (token: Tokens.AuthToken) => Effect.Effect<Renewal.AuthTokenState>
  }
>() {}

/**
 * The longest access token the verifier inspects; longer input is `Invalid` without being parsed.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxAuthTokenLength: number = core.maxAuthTokenLength

const settings = Effect.flatMap(SessionConfig.SessionConfig, (config) => core.settingsFrom(config, supportedAlgorithms))

/**
 * The verifier of a single node or an authority: it follows the `SigningKeys` ring, so a rotation is seen
 * by the next call and a retired key's tokens become `Invalid` at once. Needs an `issuer` in the
 * configuration, else `ConfigError`.
 *
 * @since 0.1.0
 * @category layers
 */
export const localVerifierLayer: Layer.Layer<
  AuthTokenVerifier,
  ConfigError,
  SigningKeys | SessionConfig.SessionConfig
> = Layer.effect(
  AuthTokenVerifier,
  Effect.gen(function* () {
    const keyRing = yield* SigningKeys
    return verifier.make(verifier.ringResolver(keyRing.ring), yield* settings)
  })
)

/**
 * A verifier over a fixed JWKS document (parsed JSON), such as one shipped with a resource service's
 * configuration. Every key is imported and checked when the layer is built.
 *
 * @since 0.1.0
 * @category layers
 */
export const jwksVerifierLayer = (
  jwks: unknown
): Layer.Layer<AuthTokenVerifier, ConfigError | TokenError, SessionConfig.SessionConfig> =>
  verificationKeysVerifierLayer(loaders.verificationKeysFromJwks(jwks))

/**
 * A verifier over verification keys loaded by an effect, such as `verificationKeyFromPem`.
 *
 * @since 0.1.0
 * @category layers
 */
export const verificationKeysVerifierLayer = (
  loaded: Effect.Effect<ReadonlyArray<VerificationKey>, TokenError>
): Layer.Layer<AuthTokenVerifier, ConfigError | TokenError, SessionConfig.SessionConfig> =>
  Layer.effect(
    AuthTokenVerifier,
    Effect.gen(function* () {
      const verificationKeys = yield* loaded
      const resolve = verifier.staticResolver(verificationKeys.map((key) => key.jwk))
      return verifier.make(Effect.succeed(resolve), yield* settings)
    })
  )

/**
 * How a remote JWKS is fetched and cached. `cacheMaxAge` (default 10 minutes) is how long a fetched set
 * is used before it is fetched again; `cooldown` (default 30 seconds) is how long after a fetch an unknown
 * `kid` does not trigger another; `timeout` (default 5 seconds) bounds each fetch. Plain `http:` is refused
 * except for loopback hosts, unless `allowInsecureHttp` is set.
 *
 * @since 0.1.0
 * @category models
 */
export type RemoteJwksOptions = remote.RemoteJwksOptions

/**
 * The verifier of a resource service, over the authority's JWKS URL, through jose's remote key set: the
 * set is fetched on first use and cached; a token naming an unknown `kid` triggers one refresh (outside the
 * cooldown) and is `Invalid` if the key is still missing. When a refresh fails, the last fetched set keeps
 * answering, so an outage of the authority's endpoint does not take the resource service down with it.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { AuthTokens, SessionConfig } from "webgates-sessions"
 *
 * const verifier = AuthTokens.remoteJwksVerifierLayer("https://auth.example.com/.well-known/jwks.json").pipe(
 *   Layer.provide(SessionConfig.layer({ issuer: "https://auth.example.com" }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const remoteJwksVerifierLayer = (
  url: string | URL,
  options: RemoteJwksOptions = {}
): Layer.Layer<AuthTokenVerifier, ConfigError, SessionConfig.SessionConfig> =>
  Layer.effect(
    AuthTokenVerifier,
    Effect.gen(function* () {
      const resolve = yield* remote.resolverFor(url, options)
      return verifier.make(Effect.succeed(resolve), yield* settings)
    })
  )

/**
 * Key loading, re-exported by `AuthTokens`: each constructor imports a key once and wraps it in the models.
 *
 * @since 0.1.0
 */
import { Effect, Redacted } from "effect"
import type { TokenError } from "../../SessionErrors.js"
import * as keys from "./keys.js"
import { SigningKey, VerificationKey } from "./model.js"

type SigningAlgorithm = keys.SigningAlgorithm

const toVerificationKey = (imported: keys.ImportedPublicKey): VerificationKey => new VerificationKey(imported)

const toSigningKey = (imported: keys.ImportedSigningKey): SigningKey =>
  new SigningKey({
    kid: imported.publicKey.kid,
    alg: imported.publicKey.alg,
    privateKey: Redacted.make(imported.privateKey),
    verificationKey: toVerificationKey(imported.publicKey)
  })

/**
 * The `kid` and algorithm of a key to load or generate. Without a `kid`, the key's RFC 7638 thumbprint is
 * used; without an `alg`, the key's curve decides (and must agree with a given `alg`).
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyOptions {
  readonly kid?: string | undefined
  readonly alg?: SigningAlgorithm | undefined
}

/**
 * Generates a fresh signing key in process (ES384 unless told otherwise), for development and tests.
 *
 * @since 0.1.0
 * @category constructors
 */
export const generateSigningKey = (options: KeyOptions = {}): Effect.Effect<SigningKey, TokenError> =>
  Effect.map(keys.generate(options), toSigningKey)

/**
 * A PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`), as produced by
 * `openssl pkcs8 -topk8 -nocrypt`, with an optional `kid` and `alg`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PemSigningKeyInput extends KeyOptions {
  readonly privateKey: Redacted.Redacted<string>
}

/**
 * Loads a signing key from PKCS#8 PEM. The public half is derived from it; a sign-and-verify self-test
 * runs before the key is accepted.
 *
 * @since 0.1.0
 * @category constructors
 */
export const signingKeyFromPem = (input: PemSigningKeyInput): Effect.Effect<SigningKey, TokenError> =>
  Effect.map(keys.fromPkcs8Pem(input.privateKey, input), toSigningKey)

/**
 * Loads a signing key from a private JWK (one with `d`), wrapped in `Redacted`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const signingKeyFromJwk = (
  jwk: Redacted.Redacted<unknown>,
  options: KeyOptions = {}
): Effect.Effect<SigningKey, TokenError> => Effect.map(keys.fromPrivateJwk(jwk, options), toSigningKey)

/**
 * An SPKI PEM public key (`-----BEGIN PUBLIC KEY-----`) with an optional `kid` and `alg`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PemVerificationKeyInput extends KeyOptions {
  readonly publicKey: string
}

/**
 * Loads a verification key from SPKI PEM.
 *
 * @since 0.1.0
 * @category constructors
 */
export const verificationKeyFromPem = (input: PemVerificationKeyInput): Effect.Effect<VerificationKey, TokenError> =>
  Effect.map(keys.fromSpkiPem(input.publicKey, input), toVerificationKey)

/**
 * Loads a verification key from a public JWK; a JWK with any private member is refused.
 *
 * @since 0.1.0
 * @category constructors
 */
export const verificationKeyFromJwk = (
  jwk: unknown,
  options: KeyOptions = {}
): Effect.Effect<VerificationKey, TokenError> => Effect.map(keys.fromPublicJwk(jwk, options), toVerificationKey)

/**
 * Loads every key of a JWKS document (parsed JSON). An empty set or any refused key fails the load.
 *
 * @since 0.1.0
 * @category constructors
 */
export const verificationKeysFromJwks = (jwks: unknown): Effect.Effect<ReadonlyArray<VerificationKey>, TokenError> =>
  Effect.map(keys.fromJwks(jwks), (loaded) => loaded.map(toVerificationKey))

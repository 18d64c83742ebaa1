/**
 * The models of the jose adapter, re-exported by `AuthTokens`.
 *
 * @since 0.1.0
 */
import { Data, type DateTime, type Redacted } from "effect"
import type * as jose from "jose"
import type { SessionId, SubjectId } from "../../Session.js"
import type { PublicJwk, SigningAlgorithm } from "./keys.js"

/**
 * The JWKS document an authority publishes.
 *
 * @since 0.1.0
 * @category models
 */
export interface JsonWebKeySet {
  readonly keys: ReadonlyArray<PublicJwk>
}

/**
 * A public key that verifies tokens, imported once.
 *
 * @since 0.1.0
 * @category models
 */
export class VerificationKey extends Data.Class<{
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly jwk: PublicJwk
  readonly key: jose.CryptoKey
}> {}

/**
 * A private signing key (non-extractable, `Redacted`) with its verification key.
 *
 * @since 0.1.0
 * @category models
 */
export class SigningKey extends Data.Class<{
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly privateKey: Redacted.Redacted<jose.CryptoKey>
  readonly verificationKey: VerificationKey
}> {}

/**
 * One active signer and every published verification key (the active one's first).
 *
 * @since 0.1.0
 * @category models
 */
export class SigningKeyRing extends Data.Class<{
  readonly active: SigningKey
  readonly verificationKeys: ReadonlyArray<VerificationKey>
}> {
  /** The public JWKS of the ring. */
  get jwks(): JsonWebKeySet {
    return { keys: this.verificationKeys.map((key) => key.jwk) }
  }
}

/**
 * The verified claims of an access token.
 *
 * @since 0.1.0
 * @category models
 */
export class AuthTokenClaims extends Data.Class<{
  /** `iss`: the authority that issued the token. */
  readonly issuer: string
  /** `sub`: the subject the session belongs to. */
  readonly subjectId: SubjectId
  /** `sid`: the session, stable across renewals. */
  readonly sessionId: SessionId
  /** `jti`: unique per token. */
  readonly tokenId: string
  /** `iat`. */
  readonly issuedAt: DateTime.Utc
  /** `exp`. */
  readonly expiresAt: DateTime.Utc
}> {}

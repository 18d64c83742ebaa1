/**
 * Token material and the services that make it: access tokens, opaque refresh tokens, their hashes,
 * the CSPRNG generator, the hashers, and the tags that mint token pairs.
 *
 * Refresh tokens exist in plaintext only inside a `Redacted`, from the moment they are generated or
 * presented until they are hashed. The hash (lowercase hex SHA-256, or HMAC-SHA-256 with a server secret)
 * is the only form a repository stores.
 *
 * @since 0.1.0
 */
import { createHash, createHmac, randomFillSync } from "node:crypto"
import { Context, Data, type Duration, Effect, Either, Layer, Redacted, Schema } from "effect"
import type { Session } from "./Session.js"
import { ConfigError, TokenError } from "./SessionErrors.js"

/**
 * A signed access token (a JWT), held as `Redacted` because it is a bearer credential.
 *
 * @since 0.1.0
 * @category models
 */
export class AuthToken extends Data.TaggedClass("AuthToken")<{ readonly value: Redacted.Redacted<string> }> {}

/**
 * An opaque refresh token. Its plaintext is only reachable through `Redacted.value(token.value)`.
 *
 * @since 0.1.0
 * @category models
 */
export class RefreshToken extends Data.TaggedClass("RefreshToken")<{ readonly value: Redacted.Redacted<string> }> {}

/**
 * The smallest refresh-token length the library accepts, in characters.
 *
 * @since 0.1.0
 * @category constants
 */
export const minRefreshTokenLength = 32

/**
 * The longest refresh token accepted when one is presented. Generated tokens are far shorter; the bound
 * keeps a hostile multi-megabyte input from being hashed.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxRefreshTokenLength = 1024

const blank = /^\s*$/
// Printable ASCII without space: what the generator produces is a subset of this.
const refreshTokenCharacters = /^[\x21-\x7e]+$/

const checkMaterial = (raw: string, what: string): Either.Either<string, TokenError> =>
  raw.length === 0 || blank.test(raw)
    ? Either.left(new TokenError({ reason: "InvalidTokenMaterial", message: `${what} must not be empty or blank` }))
    : Either.right(raw)

/**
 * Wraps a presented access token, rejecting empty and whitespace-only input.
 *
 * @since 0.1.0
 * @category constructors
 */
export const authTokenFromString = (raw: string): Either.Either<AuthToken, TokenError> =>
  Either.map(checkMaterial(raw, "An access token"), (value) => new AuthToken({ value: Redacted.make(value) }))

/**
 * Wraps a presented refresh token. Empty, blank, non-ASCII or over-long input is `InvalidTokenMaterial`;
 * input shorter than {@link minRefreshTokenLength} is `InvalidRefreshTokenLength`.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import { Tokens } from "webgates-sessions"
 *
 * const token = Tokens.refreshTokenFromString("x".repeat(64))
 * Either.isRight(token) // true
 * String(Either.getOrThrow(token)) // does not contain the x's
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const refreshTokenFromString = (raw: string): Either.Either<RefreshToken, TokenError> =>
  Either.flatMap(checkMaterial(raw, "A refresh token"), (value) => {
    if (value.length > maxRefreshTokenLength) {
      return Either.left(
        new TokenError({
          reason: "InvalidTokenMaterial",
          message: `A refresh token must be at most ${maxRefreshTokenLength} characters`
        })
      )
    }
    if (!refreshTokenCharacters.test(value)) {
      return Either.left(
        new TokenError({ reason: "InvalidTokenMaterial", message: "A refresh token must be printable ASCII" })
      )
    }
    if (value.length < minRefreshTokenLength) {
      return Either.left(
        new TokenError({
          reason: "InvalidRefreshTokenLength",
          message: `A refresh token must be at least ${minRefreshTokenLength} characters`
        })
      )
    }
    return Either.right(new RefreshToken({ value: Redacted.make(value) }))
  })

/**
 * Wraps a presented refresh token that is already `Redacted`, with the checks of
 * {@link refreshTokenFromString}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const refreshTokenFromRedacted = (raw: Redacted.Redacted<string>): Either.Either<RefreshToken, TokenError> =>
  refreshTokenFromString(Redacted.value(raw))

/**
 * The stored form of a refresh token: 64 lowercase hex characters.
 *
 * @since 0.1.0
 * @category models
 */
export const RefreshTokenHash = Schema.String.pipe(Schema.pattern(/^[0-9a-f]{64}$/), Schema.brand("RefreshTokenHash"))

/**
 * @since 0.1.0
 * @category models
 */
export type RefreshTokenHash = typeof RefreshTokenHash.Type

/**
 * A validated refresh-token length: an integer of at least {@link minRefreshTokenLength}.
 *
 * @since 0.1.0
 * @category models
 */
export const RefreshTokenLength = Schema.Int.pipe(
  Schema.greaterThanOrEqualTo(minRefreshTokenLength),
  Schema.lessThanOrEqualTo(maxRefreshTokenLength),
  Schema.brand("RefreshTokenLength")
)

/**
 * @since 0.1.0
 * @category models
 */
export type RefreshTokenLength = typeof RefreshTokenLength.Type

/**
 * The default refresh-token length: 64 alphanumeric characters, about 381 bits of entropy.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultRefreshTokenLength: RefreshTokenLength = RefreshTokenLength.make(64)

/**
 * Validates a refresh-token length.
 *
 * @since 0.1.0
 * @category constructors
 */
export const refreshTokenLength = (n: number): Either.Either<RefreshTokenLength, TokenError> =>
  Number.isInteger(n) && n >= minRefreshTokenLength && n <= maxRefreshTokenLength
    ? Either.right(RefreshTokenLength.make(n, { disableValidation: true }))
    : Either.left(
        new TokenError({
          reason: "InvalidRefreshTokenLength",
          message: `A refresh-token length must be an integer from ${minRefreshTokenLength} to ${maxRefreshTokenLength}`
        })
      )

/**
 * An access token and a refresh token issued together.
 *
 * @since 0.1.0
 * @category models
 */
export class IssuedTokenPair extends Data.TaggedClass("IssuedTokenPair")<{
  readonly authToken: AuthToken
  readonly refreshToken: RefreshToken
}> {}

/**
 * A token pair together with the hash of its refresh token, as minted before it is persisted.
 *
 * @since 0.1.0
 * @category models
 */
export class MintedTokens extends Data.TaggedClass("MintedTokens")<{
  readonly tokens: IssuedTokenPair
  readonly refreshTokenHash: RefreshTokenHash
}> {}

/**
 * What a login returns: the new session, its token pair, the stored hash and the access-token lifetime.
 *
 * @since 0.1.0
 * @category models
 */
export class IssuedSessionTokens extends Data.TaggedClass("IssuedSessionTokens")<{
  readonly session: Session
  readonly tokens: IssuedTokenPair
  readonly refreshTokenHash: RefreshTokenHash
  readonly authTokenTtl: Duration.Duration
}> {}

// 62 symbols; a byte is accepted only below 248 = 4 * 62, so `byte % 62` is exactly uniform.
const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
const acceptBelow = 248

/**
 * The alphabet refresh tokens are drawn from.
 *
 * @since 0.1.0
 * @category constants
 */
export const refreshTokenAlphabet: string = alphabet

const drawAlphanumeric = (length: number): string => {
  let out = ""
  // About 3% of bytes are rejected; a small surplus makes a second fill rare.
  const buffer = Buffer.allocUnsafe(length + 16)
  while (out.length < length) {
    randomFillSync(buffer)
    for (let i = 0; i < buffer.length && out.length < length; i++) {
      const byte = buffer[i] ?? acceptBelow
      if (byte < acceptBelow) out += alphabet.charAt(byte % alphabet.length)
    }
  }
  return out
}

/**
 * Generates fresh refresh tokens.
 *
 * @since 0.1.0
 * @category services
 */
export class RefreshTokenGenerator extends Context.Tag("webgates-sessions/RefreshTokenGenerator")<
  RefreshTokenGenerator,
  { readonly generate: Effect.Effect<RefreshToken, TokenError> }
>() {}

/**
 * A generator drawing alphanumeric tokens of the given length from the operating system's CSPRNG,
 * without modulo bias.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRefreshTokenGenerator = (
  length: RefreshTokenLength = defaultRefreshTokenLength
): RefreshTokenGenerator["Type"] => ({
  generate: Effect.try({
    try: () => new RefreshToken({ value: Redacted.make(drawAlphanumeric(length)) }),
    catch: () => new TokenError({ reason: "GenerationFailed", message: "The random source failed" })
  })
})

/**
 * The CSPRNG generator with tokens of the given length (64 by default).
 *
 * @since 0.1.0
 * @category layers
 */
export const refreshTokenGeneratorLayer = (
  length: RefreshTokenLength = defaultRefreshTokenLength
): Layer.Layer<RefreshTokenGenerator> => Layer.succeed(RefreshTokenGenerator, makeRefreshTokenGenerator(length))

/**
 * Turns refresh tokens into their stored form.
 *
 * @since 0.1.0
 * @category services
 */
export class RefreshTokenHasher extends Context.Tag("webgates-sessions/RefreshTokenHasher")<
  RefreshTokenHasher,
  { readonly hash: (token: RefreshToken) => Effect.Effect<RefreshTokenHash, TokenError> }
>() {}

const hashFailed = () => new TokenError({ reason: "HashFailed", message: "Hashing the refresh token failed" })

/**
 * Lowercase hex SHA-256: the crate's hash, and the default.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sha256Hasher: RefreshTokenHasher["Type"] = {
  hash: (token) =>
    Effect.try({
      try: () =>
        RefreshTokenHash.make(createHash("sha256").update(Redacted.value(token.value), "utf8").digest("hex"), {
          disableValidation: true
        }),
      catch: hashFailed
    })
}

/**
 * The SHA-256 hasher.
 *
 * @since 0.1.0
 * @category layers
 */
export const sha256HasherLayer: Layer.Layer<RefreshTokenHasher> = Layer.succeed(RefreshTokenHasher, sha256Hasher)

/**
 * The shortest HMAC secret accepted, in bytes of UTF-8.
 *
 * @since 0.1.0
 * @category constants
 */
export const minHmacSecretBytes = 32

/**
 * Lowercase hex HMAC-SHA-256 keyed with a server secret: a leaked table of hashes cannot be checked
 * against guessed tokens without the secret. The secret is text (used as its UTF-8 bytes) or raw bytes,
 * such as a key decoded from base64; the bytes are copied, so changing the array afterwards has no
 * effect. Fails with `ConfigError` for a secret under 32 bytes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeHmacSha256Hasher = (
  secret: Redacted.Redacted<string> | Redacted.Redacted<Uint8Array>
): Either.Either<RefreshTokenHasher["Type"], ConfigError> => {
  const material = Redacted.value<string | Uint8Array>(secret)
  const key = typeof material === "string" ? Buffer.from(material, "utf8") : Buffer.from(material)
  if (key.length < minHmacSecretBytes) {
    return Either.left(
      new ConfigError({ reason: "Invalid", message: `The HMAC secret must be at least ${minHmacSecretBytes} bytes` })
    )
  }
  return Either.right({
    hash: (token) =>
      Effect.try({
        try: () =>
          RefreshTokenHash.make(createHmac("sha256", key).update(Redacted.value(token.value), "utf8").digest("hex"), {
            disableValidation: true
          }),
        catch: hashFailed
      })
  })
}

/**
 * The keyed HMAC-SHA-256 hasher.
 *
 * @since 0.1.0
 * @category layers
 */
export const hmacSha256HasherLayer = (
  secret: Redacted.Redacted<string> | Redacted.Redacted<Uint8Array>
): Layer.Layer<RefreshTokenHasher, ConfigError> => Layer.effect(RefreshTokenHasher, makeHmacSha256Hasher(secret))

/**
 * Signs access tokens for sessions. `AuthTokens.jwtIssuerLayer` provides it with jose.
 *
 * @since 0.1.0
 * @category services
 */
export class AuthTokenIssuer extends Context.Tag("webgates-sessions/AuthTokenIssuer")<
  AuthTokenIssuer,
  { readonly issue: (session: Session) => Effect.Effect<AuthToken, TokenError> }
>() {}

/**
 * Mints a full token pair for a session: access token, refresh token and its hash.
 *
 * @since 0.1.0
 * @category services
 */
export class TokenPairIssuer extends Context.Tag("webgates-sessions/TokenPairIssuer")<
  TokenPairIssuer,
  { readonly issue: (session: Session) => Effect.Effect<MintedTokens, TokenError> }
>() {}

/**
 * The token-pair issuer built from an access-token issuer, a generator and a hasher.
 *
 * @since 0.1.0
 * @category layers
 */
export const tokenPairIssuerLayer: Layer.Layer<
  TokenPairIssuer,
  never,
  AuthTokenIssuer | RefreshTokenGenerator | RefreshTokenHasher
> = Layer.effect(
  TokenPairIssuer,
  Effect.gen(function* () {
    const authIssuer = yield* AuthTokenIssuer
    const generator = yield* RefreshTokenGenerator
    const hasher = yield* RefreshTokenHasher
    return {
      issue: (session) =>
        Effect.gen(function* () {
          const authToken = yield* authIssuer.issue(session)
          const refreshToken = yield* generator.generate
          const refreshTokenHash = yield* hasher.hash(refreshToken)
          return new MintedTokens({ tokens: new IssuedTokenPair({ authToken, refreshToken }), refreshTokenHash })
        })
    }
  })
)

/**
 * The default generator (64 characters) and SHA-256 hasher.
 *
 * @since 0.1.0
 * @category layers
 */
export const defaultTokenMaterialLayer: Layer.Layer<RefreshTokenGenerator | RefreshTokenHasher> = Layer.merge(
  refreshTokenGeneratorLayer(),
  sha256HasherLayer
)

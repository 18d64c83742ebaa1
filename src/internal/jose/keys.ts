/**
 * Key import for the jose adapter: algorithm inference, the refusal of HMAC, RSA and `none`, public JWKs
 * reduced to their public members, and a sign-then-verify self-test for every signing key loaded.
 *
 * Everything here returns plain values; `AuthTokens` wraps them in its public models.
 *
 * @since 0.1.0
 */
import { createPublicKey, type KeyObject } from "node:crypto"
import { Effect, Either, Redacted } from "effect"
import * as jose from "jose"
import { TokenError } from "../../SessionErrors.js"

/**
 * The signature algorithms access tokens may use.
 *
 * @since 0.1.0
 * @category internal
 */
export type SigningAlgorithm = "ES384" | "ES256" | "EdDSA"

/**
 * Every supported algorithm, strongest default first.
 *
 * @since 0.1.0
 * @category internal
 */
export const supportedAlgorithms: ReadonlyArray<SigningAlgorithm> = ["ES384", "ES256", "EdDSA"]

/**
 * A public JSON Web Key as published in a JWKS: only public members, always with `kid`, `alg` and `use`.
 *
 * @since 0.1.0
 * @category internal
 */
export interface PublicJwk {
  readonly kty: "EC" | "OKP"
  readonly crv: "P-384" | "P-256" | "Ed25519"
  readonly x: string
  readonly y?: string
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly use: "sig"
}

/**
 * A public key imported once, ready for jose.
 *
 * @since 0.1.0
 * @category internal
 */
export interface ImportedPublicKey {
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly jwk: PublicJwk
  readonly key: jose.CryptoKey
}

/**
 * A non-extractable private key with its public half.
 *
 * @since 0.1.0
 * @category internal
 */
export interface ImportedSigningKey {
  readonly publicKey: ImportedPublicKey
  readonly privateKey: jose.CryptoKey
}

const curves = {
  ES384: { kty: "EC", crv: "P-384" },
  ES256: { kty: "EC", crv: "P-256" },
  EdDSA: { kty: "OKP", crv: "Ed25519" }
} as const

const refuse = (message: string) => new TokenError({ reason: "InvalidTokenMaterial", message })

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const isSupported = (alg: unknown): alg is SigningAlgorithm => alg === "ES384" || alg === "ES256" || alg === "EdDSA"

// Refusals first, so a caller learns why an HMAC or RSA key is not merely "unsupported".
const refusedAlgorithm = (kty: unknown, alg: unknown): TokenError | undefined => {
  if (alg === "none") return refuse("The none algorithm is refused")
  if (kty === "oct" || (typeof alg === "string" && alg.startsWith("HS"))) {
    return refuse("HMAC keys are refused: a shared secret cannot be published to resource services")
  }
  if (kty === "RSA" || (typeof alg === "string" && /^(RS|PS)\d+$/.test(alg))) return refuse("RSA keys are refused")
  return undefined
}

const refusedOrUnsupported = (alg: string): TokenError =>
  refusedAlgorithm(undefined, alg) ?? refuse("The algorithm is not supported (ES384, ES256, EdDSA)")

const inferred = (kty: unknown, crv: unknown): SigningAlgorithm | undefined => {
  if (kty === "EC" && crv === "P-384") return "ES384"
  if (kty === "EC" && crv === "P-256") return "ES256"
  if (kty === "OKP" && crv === "Ed25519") return "EdDSA"
  return undefined
}

const settle = (
  found: SigningAlgorithm | undefined,
  declared: unknown,
  requested: SigningAlgorithm | undefined
): Either.Either<SigningAlgorithm, TokenError> => {
  if (found === undefined) return Either.left(refuse("The key type or curve is not supported (ES384, ES256, EdDSA)"))
  if (declared !== undefined && declared !== found) {
    return Either.left(refuse("The key's declared alg does not match its curve"))
  }
  if (requested !== undefined && requested !== found) {
    return Either.left(refuse(`The key does not fit the requested algorithm ${requested}`))
  }
  return Either.right(found)
}

const algorithmOfJwk = (
  jwk: Record<string, unknown>,
  requested: SigningAlgorithm | undefined
): Either.Either<SigningAlgorithm, TokenError> => {
  const refused = refusedAlgorithm(jwk.kty, jwk.alg)
  if (refused !== undefined) return Either.left(refused)
  if (requested !== undefined && !isSupported(requested)) return Either.left(refusedOrUnsupported(requested))
  return settle(inferred(jwk.kty, jwk.crv), jwk.alg, requested)
}

// Node names the curves by their OpenSSL names.
const inferredFromNode = (type: string | undefined, curve: string | undefined): SigningAlgorithm | undefined => {
  if (type === "ed25519") return "EdDSA"
  if (type === "ec" && curve === "secp384r1") return "ES384"
  if (type === "ec" && curve === "prime256v1") return "ES256"
  return undefined
}

const algorithmOfKeyObject = (
  key: KeyObject,
  requested: SigningAlgorithm | undefined
): Either.Either<SigningAlgorithm, TokenError> => {
  const type = key.asymmetricKeyType
  if (type === "rsa" || type === "rsa-pss") return Either.left(refuse("RSA keys are refused"))
  if (requested !== undefined && !isSupported(requested)) return Either.left(refusedOrUnsupported(requested))
  return settle(inferredFromNode(type, key.asymmetricKeyDetails?.namedCurve), undefined, requested)
}

const maxKidLength = 256
const controlCharacter = /\p{Cc}/u

const checkKid = (kid: string): Either.Either<string, TokenError> =>
  kid.trim().length === 0 || kid.length > maxKidLength || controlCharacter.test(kid)
    ? Either.left(refuse(`A kid must be 1 to ${maxKidLength} characters without control characters`))
    : Either.right(kid)

const publicMembers = (
  raw: Record<string, unknown>,
  alg: SigningAlgorithm
): Either.Either<Omit<PublicJwk, "kid">, TokenError> => {
  const { kty, crv } = curves[alg]
  const x = raw.x
  const y = raw.y
  if (typeof x !== "string" || x.length === 0) return Either.left(refuse("The key has no public x coordinate"))
  if (kty === "OKP") return Either.right({ kty, crv, x, alg, use: "sig" })
  if (typeof y !== "string" || y.length === 0) return Either.left(refuse("The key has no public y coordinate"))
  return Either.right({ kty, crv, x, y, alg, use: "sig" })
}

const withKid = (members: Omit<PublicJwk, "kid">, kid: string | undefined): Effect.Effect<PublicJwk, TokenError> =>
  kid !== undefined
    ? Effect.map(checkKid(kid), (checked) => ({ ...members, kid: checked }))
    : Effect.map(
        Effect.tryPromise({
          try: () =>
            jose.calculateJwkThumbprint(
              members.y === undefined
                ? { kty: members.kty, crv: members.crv, x: members.x }
                : { kty: members.kty, crv: members.crv, x: members.x, y: members.y }
            ),
          catch: () => refuse("The key thumbprint could not be computed")
        }),
        (thumbprint) => ({ ...members, kid: thumbprint })
      )

const importPublicJwk = (jwk: PublicJwk): Effect.Effect<ImportedPublicKey, TokenError> =>
  Effect.flatMap(
    Effect.tryPromise({
      try: () =>
        jose.importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y === undefined ? {} : { y: jwk.y }) }, jwk.alg),
      catch: () => refuse("The public key could not be imported")
    }),
    (key) =>
      key instanceof Uint8Array
        ? Effect.fail(refuse("HMAC keys are refused"))
        : Effect.succeed({ kid: jwk.kid, alg: jwk.alg, jwk, key })
  )

const probe = new TextEncoder().encode("webgates-sessions key self-test")

// A private key whose public half does not match it would sign tokens nobody can verify; catch it at load.
const selfTest = (privateKey: jose.CryptoKey, publicKey: ImportedPublicKey): Effect.Effect<void, TokenError> =>
  Effect.asVoid(
    Effect.tryPromise({
      try: async () => {
        const jws = await new jose.CompactSign(probe).setProtectedHeader({ alg: publicKey.alg }).sign(privateKey)
        return jose.compactVerify(jws, publicKey.key, { algorithms: [publicKey.alg] })
      },
      catch: () => refuse("The private key does not match its public key or cannot sign")
    })
  )

/**
 * Options common to every key import.
 *
 * @since 0.1.0
 * @category internal
 */
export interface ImportOptions {
  readonly kid?: string | undefined
  readonly alg?: SigningAlgorithm | undefined
}

/**
 * Generates a fresh, non-extractable key pair.
 *
 * @since 0.1.0
 * @category internal
 */
export const generate = (options: ImportOptions = {}): Effect.Effect<ImportedSigningKey, TokenError> =>
  Effect.gen(function* () {
    const alg = options.alg ?? "ES384"
    if (!isSupported(alg)) return yield* Effect.fail(refusedOrUnsupported(alg))
    const pair = yield* Effect.tryPromise({
      try: () => jose.generateKeyPair(alg, { extractable: false }),
      catch: () => new TokenError({ reason: "GenerationFailed", message: `Generating an ${alg} key pair failed` })
    })
    const exported = yield* Effect.tryPromise({
      try: () => jose.exportJWK(pair.publicKey),
      catch: () => new TokenError({ reason: "GenerationFailed", message: "Exporting the public key failed" })
    })
    const members = yield* publicMembers(exported, alg)
    const jwk = yield* withKid(members, options.kid)
    return { publicKey: { kid: jwk.kid, alg, jwk, key: pair.publicKey }, privateKey: pair.privateKey }
  })

/**
 * Imports a PKCS#8 PEM private key; the algorithm is read from the key's curve.
 *
 * @since 0.1.0
 * @category internal
 */
export const fromPkcs8Pem = (
  pem: Redacted.Redacted<string>,
  options: ImportOptions = {}
): Effect.Effect<ImportedSigningKey, TokenError> =>
  Effect.gen(function* () {
    const text = Redacted.value(pem).trim()
    if (!text.startsWith("-----BEGIN PRIVATE KEY-----")) {
      return yield* Effect.fail(refuse("The private key must be an unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY)"))
    }
    const keyObject = yield* Effect.try({
      try: () => createPublicKey(text),
      catch: () => refuse("The private key PEM could not be parsed")
    })
    const alg = yield* algorithmOfKeyObject(keyObject, options.alg)
    const privateKey = yield* Effect.tryPromise({
      try: () => jose.importPKCS8(text, alg, { extractable: false }),
      catch: () => refuse("The private key could not be imported")
    })
    const publicKey = yield* publicFromKeyObject(keyObject, alg, options.kid)
    yield* selfTest(privateKey, publicKey)
    return { publicKey, privateKey }
  })

const publicFromKeyObject = (
  keyObject: KeyObject,
  alg: SigningAlgorithm,
  kid: string | undefined
): Effect.Effect<ImportedPublicKey, TokenError> =>
  Effect.gen(function* () {
    const exported = yield* Effect.tryPromise({
      try: () => jose.exportJWK(keyObject),
      catch: () => refuse("The public key could not be exported")
    })
    const members = yield* publicMembers(exported, alg)
    return yield* importPublicJwk(yield* withKid(members, kid))
  })

/**
 * Imports an SPKI PEM public key; the algorithm is read from the key's curve.
 *
 * @since 0.1.0
 * @category internal
 */
export const fromSpkiPem = (pem: string, options: ImportOptions = {}): Effect.Effect<ImportedPublicKey, TokenError> =>
  Effect.gen(function* () {
    const text = pem.trim()
    if (!text.startsWith("-----BEGIN PUBLIC KEY-----")) {
      return yield* Effect.fail(refuse("The public key must be an SPKI PEM (BEGIN PUBLIC KEY)"))
    }
    const keyObject = yield* Effect.try({
      try: () => createPublicKey(text),
      catch: () => refuse("The public key PEM could not be parsed")
    })
    const alg = yield* algorithmOfKeyObject(keyObject, options.alg)
    return yield* publicFromKeyObject(keyObject, alg, options.kid)
  })

const kidOf = (jwk: Record<string, unknown>, options: ImportOptions): Either.Either<string | undefined, TokenError> => {
  if (options.kid !== undefined) return Either.right(options.kid)
  if (jwk.kid === undefined) return Either.right(undefined)
  return typeof jwk.kid === "string" ? Either.right(jwk.kid) : Either.left(refuse("The key's kid must be a string"))
}

/**
 * Imports a private JWK (with `d`); `kid` and `alg` default to the JWK's own members.
 *
 * @since 0.1.0
 * @category internal
 */
export const fromPrivateJwk = (
  jwk: Redacted.Redacted<unknown>,
  options: ImportOptions = {}
): Effect.Effect<ImportedSigningKey, TokenError> =>
  Effect.gen(function* () {
    const raw = Redacted.value(jwk)
    if (!isRecord(raw)) return yield* Effect.fail(refuse("A JWK must be a JSON object"))
    const alg = yield* algorithmOfJwk(raw, options.alg)
    const d = raw.d
    if (typeof d !== "string") return yield* Effect.fail(refuse("A signing JWK must hold its private member d"))
    const members = yield* publicMembers(raw, alg)
    const privateKey = yield* Effect.tryPromise({
      try: () => jose.importJWK({ ...members, d }, alg, { extractable: false }),
      catch: () => refuse("The private JWK could not be imported")
    })
    if (privateKey instanceof Uint8Array) return yield* Effect.fail(refuse("HMAC keys are refused"))
    const publicKey = yield* importPublicJwk(yield* withKid(members, yield* kidOf(raw, options)))
    yield* selfTest(privateKey, publicKey)
    return { publicKey, privateKey }
  })

const privateMembers = ["d", "p", "q", "dp", "dq", "qi", "k", "oth", "priv"]

/**
 * Imports a public JWK. A JWK carrying any private member is refused: it must never have been published.
 *
 * @since 0.1.0
 * @category internal
 */
export const fromPublicJwk = (
  jwk: unknown,
  options: ImportOptions = {}
): Effect.Effect<ImportedPublicKey, TokenError> =>
  Effect.gen(function* () {
    if (!isRecord(jwk)) return yield* Effect.fail(refuse("A JWK must be a JSON object"))
    const alg = yield* algorithmOfJwk(jwk, options.alg)
    if (privateMembers.some((member) => member in jwk)) {
      return yield* Effect.fail(refuse("A verification key must not contain private members"))
    }
    if (jwk.use !== undefined && jwk.use !== "sig") return yield* Effect.fail(refuse("The key is not for signatures"))
    const members = yield* publicMembers(jwk, alg)
    return yield* importPublicJwk(yield* withKid(members, yield* kidOf(jwk, options)))
  })

/**
 * Imports every key of a JWKS document. An empty set, or any refused key, fails the whole import.
 *
 * @since 0.1.0
 * @category internal
 */
export const fromJwks = (jwks: unknown): Effect.Effect<ReadonlyArray<ImportedPublicKey>, TokenError> =>
  Effect.gen(function* () {
    if (!isRecord(jwks) || !Array.isArray(jwks.keys)) {
      return yield* Effect.fail(refuse("A JWKS must be an object with a keys array"))
    }
    const keys: ReadonlyArray<unknown> = jwks.keys
    if (keys.length === 0) return yield* Effect.fail(refuse("A JWKS must hold at least one key"))
    return yield* Effect.forEach(keys, (key) => fromPublicJwk(key))
  })

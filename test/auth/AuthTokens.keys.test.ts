import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, Redacted } from "effect"
import * as jose from "jose"
import * as AuthTokens from "../../src/AuthTokens.js"
import type { TokenError } from "../../src/SessionErrors.js"
import * as Tokens from "../../src/Tokens.js"
import {
  authorityLayer,
  classify,
  configLayer,
  issue,
  makeSession,
  raw,
  segments,
  startClock,
  verify
} from "../support/jose.js"
import {
  nodePrivateJwk,
  opensslEcKey,
  opensslEncryptedKey,
  opensslGenpkey,
  pemBody,
  pemLines
} from "../support/joseKeys.js"

const pemAuthority = (privatePem: string, kid?: string) =>
  Layer.mergeAll(AuthTokens.jwtIssuerLayer, AuthTokens.localVerifierLayer).pipe(
    Layer.provideMerge(AuthTokens.signingKeysFromPemLayer({ active: { privateKey: Redacted.make(privatePem), kid } })),
    Layer.provideMerge(configLayer())
  )

const refusal = <A, R>(effect: Effect.Effect<A, TokenError, R>) => Effect.flip(effect)

describe("keys from PEM made by the openssl command line", () => {
  const cases = [
    ["ecparam secp384r1 + pkcs8 -topk8", () => opensslEcKey("secp384r1"), "ES384"],
    ["ecparam prime256v1 + pkcs8 -topk8", () => opensslEcKey("prime256v1"), "ES256"],
    ["genpkey ed25519", () => opensslGenpkey("ed25519"), "EdDSA"]
  ] as const

  for (const [label, make, alg] of cases) {
    it.effect(`${label} loads as ${alg}, signs, and verifies from its SPKI PEM`, () => {
      const key = make()
      return Effect.gen(function* () {
        yield* startClock
        const token = yield* issue(yield* makeSession())
        expect(segments(raw(token)).header).toEqual({ alg, kid: "openssl-1" })
        expect((yield* verify(token)).subjectId).toBe("user-42")

        // A resource service holding only the public PEM accepts the same token.
        const resource = AuthTokens.verificationKeysVerifierLayer(
          Effect.all([AuthTokens.verificationKeyFromPem({ publicKey: key.publicPem, kid: "openssl-1" })])
        ).pipe(Layer.provide(configLayer()))
        const state = yield* classify(token).pipe(Effect.provide(resource))
        expect(state._tag).toBe("Valid")
      }).pipe(Effect.provide(pemAuthority(key.privatePem, "openssl-1")))
    })
  }

  it.effect("without a kid, the kid is the RFC 7638 thumbprint of the public key", () => {
    const key = opensslEcKey("secp384r1")
    return Effect.gen(function* () {
      const signing = yield* AuthTokens.signingKeyFromPem({ privateKey: Redacted.make(key.privatePem) })
      const { kid: _kid, alg: _alg, use: _use, ...members } = signing.verificationKey.jwk
      expect(signing.kid).toBe(yield* Effect.promise(() => jose.calculateJwkThumbprint(members)))
      const fromPublic = yield* AuthTokens.verificationKeyFromPem({ publicKey: key.publicPem })
      expect(fromPublic.kid).toBe(signing.kid)
    })
  })

  it.effect("RSA, encrypted, SEC1 and mismatched keys are refused at load with a TokenError", () =>
    Effect.gen(function* () {
      const rsa = opensslGenpkey("RSA")
      const ec = opensslEcKey("secp384r1")
      const refusals: ReadonlyArray<readonly [string, Effect.Effect<unknown, TokenError>, string]> = [
        ["RSA private", AuthTokens.signingKeyFromPem({ privateKey: Redacted.make(rsa.privatePem) }), "RSA"],
        ["RSA public", AuthTokens.verificationKeyFromPem({ publicKey: rsa.publicPem }), "RSA"],
        ["encrypted", AuthTokens.signingKeyFromPem({ privateKey: Redacted.make(opensslEncryptedKey()) }), "PKCS#8"],
        ["SEC1", AuthTokens.signingKeyFromPem({ privateKey: Redacted.make(ec.originalPem) }), "PKCS#8"],
        [
          "a public PEM as private",
          AuthTokens.signingKeyFromPem({ privateKey: Redacted.make(ec.publicPem) }),
          "PKCS#8"
        ],
        ["a private PEM as public", AuthTokens.verificationKeyFromPem({ publicKey: ec.privatePem }), "SPKI"],
        [
          "garbage",
          AuthTokens.signingKeyFromPem({ privateKey: Redacted.make("-----BEGIN PRIVATE KEY-----\nAAAA\n") }),
          "parsed"
        ],
        [
          "P-384 asked to be ES256",
          AuthTokens.signingKeyFromPem({ privateKey: Redacted.make(ec.privatePem), alg: "ES256" }),
          "ES256"
        ]
      ]
      for (const [label, load, fragment] of refusals) {
        const error = yield* refusal(load)
        expect([label, error._tag, error.message]).toEqual([label, "TokenError", expect.stringContaining(fragment)])
        for (const line of pemLines(ec.privatePem).concat(pemLines(rsa.privatePem))) {
          expect(error.message).not.toContain(line)
        }
      }
    })
  )
})

describe("keys from JWK and JWKS", () => {
  for (const type of ["P-384", "P-256", "Ed25519"] as const) {
    it.effect(`a ${type} private JWK from Node's crypto signs; its JWKS verifies`, () => {
      const jwk = nodePrivateJwk(type)
      return Effect.gen(function* () {
        yield* startClock
        const keys = yield* AuthTokens.SigningKeys
        const jwks = yield* keys.jwks
        const token = yield* issue(yield* makeSession())
        const resource = AuthTokens.jwksVerifierLayer(JSON.parse(JSON.stringify(jwks))).pipe(
          Layer.provide(configLayer())
        )
        expect((yield* verify(token).pipe(Effect.provide(resource))).subjectId).toBe("user-42")
      }).pipe(
        Effect.provide(
          Layer.mergeAll(AuthTokens.jwtIssuerLayer, AuthTokens.localVerifierLayer).pipe(
            Layer.provideMerge(
              AuthTokens.signingKeysFromJwksLayer({ active: Redacted.make({ ...jwk, kid: "jwk-1" }) })
            ),
            Layer.provideMerge(configLayer())
          )
        )
      )
    })
  }

  it.effect("HMAC, RSA, none, mismatched and private-in-public keys are refused with a TokenError", () =>
    Effect.gen(function* () {
      const ec = nodePrivateJwk("P-384")
      const other = nodePrivateJwk("P-384")
      const { d: _d, ...ecPublic } = ec
      const rsa = nodePrivateJwk("RSA")
      const oct = { kty: "oct", k: Buffer.from("a shared secret of thirty-two bytes!").toString("base64url") }
      const refusals: ReadonlyArray<readonly [string, Effect.Effect<unknown, TokenError>, string]> = [
        ["oct", AuthTokens.signingKeyFromJwk(Redacted.make(oct)), "HMAC"],
        ["oct public", AuthTokens.verificationKeyFromJwk(oct), "HMAC"],
        ["HS256 alg", AuthTokens.verificationKeyFromJwk({ ...ecPublic, alg: "HS256" }), "HMAC"],
        ["RSA", AuthTokens.signingKeyFromJwk(Redacted.make(rsa)), "RSA"],
        ["RS256 alg", AuthTokens.verificationKeyFromJwk({ ...ecPublic, alg: "RS256" }), "RSA"],
        ["none", AuthTokens.verificationKeyFromJwk({ ...ecPublic, alg: "none" }), "none"],
        [
          "none requested",
          AuthTokens.signingKeyFromJwk(Redacted.make(ec), { alg: "none" as AuthTokens.SigningAlgorithm }),
          "none"
        ],
        ["curve and alg disagree", AuthTokens.verificationKeyFromJwk({ ...ecPublic, alg: "ES256" }), "does not match"],
        ["P-521", AuthTokens.verificationKeyFromJwk({ kty: "EC", crv: "P-521", x: "AA", y: "AA" }), "not supported"],
        ["a public JWK as signing key", AuthTokens.signingKeyFromJwk(Redacted.make(ecPublic)), "private member"],
        ["a private JWK as verification key", AuthTokens.verificationKeyFromJwk(ec), "private members"],
        ["d of another key", AuthTokens.signingKeyFromJwk(Redacted.make({ ...ec, d: other.d })), "private"],
        ["use: enc", AuthTokens.verificationKeyFromJwk({ ...ecPublic, use: "enc" }), "not for signatures"],
        ["an empty JWKS", AuthTokens.verificationKeysFromJwks({ keys: [] }), "at least one"],
        ["not a JWKS", AuthTokens.verificationKeysFromJwks([ecPublic]), "keys array"],
        ["a JWKS with an RSA key", AuthTokens.verificationKeysFromJwks({ keys: [ecPublic, rsa] }), "RSA"],
        [
          "a generated HS256 key",
          AuthTokens.generateSigningKey({ alg: "HS256" as AuthTokens.SigningAlgorithm }),
          "HMAC"
        ]
      ]
      for (const [label, load, fragment] of refusals) {
        const error = yield* Effect.flip(load)
        expect([label, error._tag, error.message]).toEqual([label, "TokenError", expect.stringContaining(fragment)])
        expect(error.message).not.toContain(String(ec.d))
      }
    })
  )

  it.effect("a refused key fails the whole layer at build", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(
          AuthTokens.signingKeysFromPemLayer({
            active: { privateKey: Redacted.make(opensslGenpkey("RSA").privatePem) }
          })
        ).pipe(Effect.scoped)
      )
      expect(error).toMatchObject({ _tag: "TokenError", reason: "InvalidTokenMaterial" })
    })
  )
})

describe("the published JWKS", () => {
  it.effect("holds public members only, with kid, alg and use: sig", () =>
    Effect.gen(function* () {
      const keys = yield* AuthTokens.SigningKeys
      yield* keys.publish((yield* AuthTokens.generateSigningKey({ alg: "EdDSA", kid: "ed" })).verificationKey)
      yield* keys.publish((yield* AuthTokens.generateSigningKey({ alg: "ES256", kid: "p256" })).verificationKey)
      const jwks = yield* keys.jwks
      expect(jwks.keys.map((key) => Object.keys(key).sort())).toEqual([
        ["alg", "crv", "kid", "kty", "use", "x", "y"],
        ["alg", "crv", "kid", "kty", "use", "x"],
        ["alg", "crv", "kid", "kty", "use", "x", "y"]
      ])
      expect(jwks.keys.map(({ kid, alg, use, kty, crv }) => ({ kid, alg, use, kty, crv }))).toEqual([
        { kid: "main", alg: "ES384", use: "sig", kty: "EC", crv: "P-384" },
        { kid: "ed", alg: "EdDSA", use: "sig", kty: "OKP", crv: "Ed25519" },
        { kid: "p256", alg: "ES256", use: "sig", kty: "EC", crv: "P-256" }
      ])
    }).pipe(Effect.provide(AuthTokens.generatedSigningKeysLayer({ kid: "main" })))
  )

  it.effect("a JWKS from a private JWK never carries its d", () => {
    const jwk = nodePrivateJwk("P-256")
    return Effect.gen(function* () {
      const text = JSON.stringify(yield* Effect.flatMap(AuthTokens.SigningKeys, (keys) => keys.jwks))
      expect(text).not.toContain(String(jwk.d))
      expect(text).not.toContain('"d"')
    }).pipe(Effect.provide(AuthTokens.signingKeysFromJwksLayer({ active: Redacted.make(jwk) })))
  })
})

describe("key rotation", () => {
  it.effect("new tokens carry the new kid; old tokens verify while published and are Invalid once retired", () =>
    Effect.gen(function* () {
      yield* startClock
      const keys = yield* AuthTokens.SigningKeys
      const session = yield* makeSession()
      const before = yield* issue(session)
      expect(segments(raw(before)).header).toEqual({ alg: "ES384", kid: "k1" })

      const next = yield* AuthTokens.generateSigningKey({ kid: "k2", alg: "EdDSA" })
      const ring = yield* keys.rotate(next)
      expect(ring.active.kid).toBe("k2")
      expect(ring.verificationKeys.map((key) => key.kid)).toEqual(["k2", "k1"])

      const after = yield* issue(session)
      expect(segments(raw(after)).header).toEqual({ alg: "EdDSA", kid: "k2" })
      expect((yield* classify(before))._tag).toBe("Valid")
      expect((yield* classify(after))._tag).toBe("Valid")

      yield* keys.retire("k1")
      expect((yield* keys.jwks).keys.map((key) => key.kid)).toEqual(["k2"])
      expect((yield* classify(before))._tag).toBe("Invalid")
      expect((yield* Effect.flip(verify(before))).message).toContain("unknown key")
      expect((yield* classify(after))._tag).toBe("Valid")
    }).pipe(Effect.provide(authorityLayer({ kid: "k1" })))
  )

  it.effect("a key published ahead of its rotation verifies before it signs", () =>
    Effect.gen(function* () {
      yield* startClock
      const keys = yield* AuthTokens.SigningKeys
      const next = yield* AuthTokens.generateSigningKey({ kid: "k2" })
      yield* keys.publish(next.verificationKey)
      expect((yield* keys.ring).active.kid).toBe("k1")
      expect((yield* keys.rotate(next)).verificationKeys.map((key) => key.kid)).toEqual(["k2", "k1"])
    }).pipe(Effect.provide(authorityLayer({ kid: "k1" })))
  )

  it.effect("refuses to retire the active key or an unknown kid, and to reuse a kid for another key", () =>
    Effect.gen(function* () {
      const keys = yield* AuthTokens.SigningKeys
      expect((yield* Effect.flip(keys.retire("k1"))).message).toContain("active")
      expect((yield* Effect.flip(keys.retire("nope"))).message).toContain("No published key")
      const impostor = yield* AuthTokens.generateSigningKey({ kid: "k1" })
      expect((yield* Effect.flip(keys.rotate(impostor))).message).toContain("share the kid")
      expect((yield* Effect.flip(keys.publish(impostor.verificationKey))).message).toContain("share the kid")
      expect((yield* keys.ring).active.kid).toBe("k1")
    }).pipe(Effect.provide(AuthTokens.generatedSigningKeysLayer({ kid: "k1" })))
  )
})

describe("no private key material escapes", () => {
  it.effect("in logs, JWKS, errors, String, JSON.stringify or util.inspect of keys, rings and services", () => {
    const key = opensslEcKey("secp384r1")
    const jwk = nodePrivateJwk("P-384")
    const lines: Array<string> = []
    const capture = Logger.replace(
      Logger.defaultLogger,
      Logger.make((options) => {
        lines.push(Logger.logfmtLogger.log(options))
      })
    )
    const secrets = [...pemLines(key.privatePem), pemBody(key.privatePem), String(jwk.d)]
    return Effect.gen(function* () {
      yield* startClock
      const keys = yield* AuthTokens.SigningKeys
      const fromJwk = yield* AuthTokens.signingKeyFromJwk(Redacted.make(jwk), { kid: "jwk" })
      yield* keys.rotate(fromJwk)
      yield* keys.retire("pem")
      const token = yield* issue(yield* makeSession())
      yield* verify(token)
      const refused = yield* Effect.flip(keys.retire("jwk"))
      const ring = yield* keys.ring
      const issuerService = yield* Tokens.AuthTokenIssuer
      const verifierService = yield* AuthTokens.AuthTokenVerifier
      const outputs = [
        ...lines,
        JSON.stringify(yield* keys.jwks),
        String(ring),
        JSON.stringify(ring),
        inspect(ring, { depth: 20 }),
        String(fromJwk),
        JSON.stringify(fromJwk),
        inspect(fromJwk, { depth: 20 }),
        inspect(keys, { depth: 20 }),
        inspect(issuerService, { depth: 20 }),
        inspect(verifierService, { depth: 20 }),
        String(refused),
        JSON.stringify(refused),
        inspect(refused)
      ]
      expect(lines.length).toBeGreaterThan(0)
      for (const output of outputs) {
        for (const secret of secrets) expect(output).not.toContain(secret)
      }
    }).pipe(Effect.provide(pemAuthority(key.privatePem, "pem")), Effect.provide(capture))
  })
})

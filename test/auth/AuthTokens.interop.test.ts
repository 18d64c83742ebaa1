import { createPublicKey, verify as nodeVerify } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as AuthTokens from "../../src/AuthTokens.js"
import { authorityLayer, epoch, issue, issuer, makeSession, raw, startClock } from "../support/jose.js"

// DER INTEGER of an unsigned big-endian number: leading zeros dropped, a zero byte added if the high bit is set.
const derInteger = (bytes: Buffer): Buffer => {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  const trimmed = bytes.subarray(start)
  const body = (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed
  return Buffer.concat([Buffer.from([0x02, body.length]), body])
}

// JOSE carries an ECDSA signature as r || s (RFC 7518, 3.4); X.509 tooling expects a DER SEQUENCE of r and s.
const joseToDer = (signature: Buffer): Buffer => {
  const half = signature.length / 2
  const content = Buffer.concat([derInteger(signature.subarray(0, half)), derInteger(signature.subarray(half))])
  const length = content.length < 0x80 ? Buffer.from([content.length]) : Buffer.from([0x81, content.length])
  return Buffer.concat([Buffer.from([0x30]), length, content])
}

const hashOf = { ES384: "sha384", ES256: "sha256", EdDSA: null } as const

describe("interop with Node's crypto.verify", () => {
  for (const alg of AuthTokens.supportedAlgorithms) {
    it.effect(`${alg}: the signature verifies over the JWS signing input with the exported public JWK`, () =>
      Effect.gen(function* () {
        yield* startClock
        const session = yield* makeSession()
        const jwt = raw(yield* issue(session))
        const jwk = (yield* Effect.flatMap(AuthTokens.SigningKeys, (keys) => keys.jwks)).keys[0]
        expect(jwk?.alg).toBe(alg)

        const [header = "", payload = "", signature = ""] = jwt.split(".")
        const signingInput = Buffer.from(`${header}.${payload}`, "ascii")
        const joseSignature = Buffer.from(signature, "base64url")
        const publicKey = createPublicKey({ key: { ...jwk }, format: "jwk" })
        const der = alg === "EdDSA" ? joseSignature : joseToDer(joseSignature)

        expect(nodeVerify(hashOf[alg], signingInput, publicKey, der)).toBe(true)
        const tampered = Buffer.from(`${header}.${payload.slice(0, -1)}${payload.endsWith("A") ? "B" : "A"}`, "ascii")
        expect(nodeVerify(hashOf[alg], tampered, publicKey, der)).toBe(false)

        expect(JSON.parse(Buffer.from(header, "base64url").toString("utf8"))).toEqual({ alg, kid: jwk?.kid })
        expect(JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))).toEqual({
          iss: issuer,
          sub: session.subjectId,
          sid: session.sessionId,
          jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
          iat: epoch / 1000,
          exp: epoch / 1000 + 900
        })
      }).pipe(Effect.provide(authorityLayer({ alg })))
    )
  }
})

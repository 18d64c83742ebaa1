import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Redacted } from "effect"
import * as jose from "jose"
import * as AuthTokens from "../../src/AuthTokens.js"
import * as Renewal from "../../src/Renewal.js"
import {
  authorityLayer,
  classify,
  epoch,
  issue,
  issuer,
  makeSession,
  raw,
  startClock,
  token,
  verify
} from "../support/jose.js"

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url")

const now = epoch / 1000

const sign = (
  key: AuthTokens.SigningKey,
  claims: jose.JWTPayload,
  header: Partial<jose.JWTHeaderParameters> = {}
): Effect.Effect<string> =>
  Effect.promise(() =>
    new jose.SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
      .sign(Redacted.value(key.privateKey))
  )

// Replaces one character in the middle of a base64url segment by another valid one.
const flip = (segment: string) => {
  const i = Math.floor(segment.length / 2)
  return segment.slice(0, i) + (segment[i] === "A" ? "B" : "A") + segment.slice(i + 1)
}

/** Every entry is built inside the authority, with its active key at hand. */
const corpus = Effect.gen(function* () {
  yield* startClock
  const keys = yield* AuthTokens.SigningKeys
  const { active } = yield* keys.ring
  const session = yield* makeSession()
  const good: jose.JWTPayload = {
    iss: issuer,
    sub: session.subjectId,
    sid: session.sessionId,
    jti: "jti-1",
    iat: now,
    exp: now + 900
  }
  const genuine = raw(yield* issue(session))
  const [h = "", p = "", s = ""] = genuine.split(".")
  const without = (claim: string): jose.JWTPayload =>
    Object.fromEntries(Object.entries(good).filter(([name]) => name !== claim))
  // Through JSON, so that a claim can carry a type jose's own types would not allow.
  const reshaped = (claims: Record<string, unknown>): jose.JWTPayload => JSON.parse(JSON.stringify(claims))
  const publicPem = yield* Effect.promise(() => jose.exportSPKI(active.verificationKey.key))

  const retired = yield* AuthTokens.generateSigningKey({ kid: "retired" })
  yield* keys.publish(retired.verificationKey)
  const byRetired = yield* sign(retired, good)
  yield* keys.retire("retired")

  const stranger = yield* AuthTokens.generateSigningKey({ kid: active.kid })
  const entries: ReadonlyArray<readonly [string, string]> = [
    ["empty", ""],
    ["1 MB", "a".repeat(1 << 20)],
    ["1 MB of dots and base64url", `${h}.${"A".repeat(1 << 20)}.${s}`],
    ["a.b.c", "a.b.c"],
    ["two segments", `${h}.${p}`],
    ["four segments", `${genuine}.${s}`],
    ["non-base64url parts", "!!!.???.***"],
    ["non-base64url signature", `${h}.${p}.${s.slice(0, -2)}+/`],
    ["JSON garbage in the header", `${b64("{alg: ES384")}.${p}.${s}`],
    ["a header that is not an object", `${b64("[1,2]")}.${p}.${s}`],
    ["JSON garbage in the payload", `${h}.${b64('{"iss":')}.${s}`],
    ["a payload that is not an object", `${h}.${b64('"string"')}.${s}`],
    ["alg: none", new jose.UnsecuredJWT(good).encode()],
    ["alg: none with a kid", `${b64(JSON.stringify({ alg: "none", kid: active.kid }))}.${b64(JSON.stringify(good))}.`],
    [
      "alg: HS256 signed with the public key as the secret",
      yield* Effect.promise(() =>
        new jose.SignJWT(good)
          .setProtectedHeader({ alg: "HS256", kid: active.kid })
          .sign(new TextEncoder().encode(publicPem))
      )
    ],
    ["a tampered payload", `${h}.${b64(JSON.stringify({ ...good, sub: "admin" }))}.${s}`],
    ["a tampered signature", `${h}.${p}.${flip(s)}`],
    ["an empty signature", `${h}.${p}.`],
    ["a wrong iss", yield* sign(active, { ...good, iss: "https://evil.example" })],
    ["an unknown kid", yield* sign(active, good, { kid: "nobody" })],
    [
      "no kid",
      yield* Effect.promise(() =>
        new jose.SignJWT(good).setProtectedHeader({ alg: active.alg }).sign(Redacted.value(active.privateKey))
      )
    ],
    ["another key under the active kid", yield* sign(stranger, good)],
    ["a missing exp", yield* sign(active, without("exp"))],
    ["a missing iat", yield* sign(active, without("iat"))],
    ["a missing sid", yield* sign(active, without("sid"))],
    ["a sid that is not a UUID", yield* sign(active, { ...good, sid: "session-1" })],
    ["an empty sub", yield* sign(active, { ...good, sub: "" })],
    ["a string exp", yield* sign(active, reshaped({ ...good, exp: String(now + 900) }))],
    ["an exp beyond any date", yield* sign(active, { ...good, exp: 1e300 })],
    ["a negative iat beyond any date", yield* sign(active, { ...good, iat: -1e300 })],
    ["nbf in the future", yield* sign(active, { ...good, nbf: now + 3600 })],
    ["a token signed by a removed key", byRetired]
  ]
  return { entries, active }
})

// The refusal each entry must meet: checked so that an entry cannot pass for an unrelated reason.
const why = (label: string): string => {
  if (label.startsWith("1 MB")) return "too large"
  if (label.startsWith("alg:")) return "algorithm that is not allowed"
  if (label.startsWith("JSON garbage in the payload") || label.startsWith("a payload that")) return "signature"
  if (label.startsWith("a tampered") || label === "an empty signature" || label.startsWith("another key")) {
    return "signature does not verify"
  }
  if (label === "a wrong iss") return "another issuer"
  if (label === "an unknown kid" || label === "no kid" || label.includes("removed key")) return "unknown key"
  if (label.startsWith("a missing") || label.startsWith("a sid") || label.startsWith("an empty sub")) return "claims"
  if (label === "a string exp" || label.includes("beyond any date")) return "claims"
  if (label === "nbf in the future") return "not valid yet"
  return "malformed"
}

describe("the bad-token corpus", () => {
  it.effect("every entry is Invalid for classify and a TokenError for verify, never a defect", () =>
    Effect.gen(function* () {
      const { entries } = yield* corpus
      for (const [label, jwt] of entries) {
        const state = yield* Effect.exit(classify(token(jwt)))
        expect([label, state]).toEqual([label, Exit.succeed(Renewal.AuthTokenState.Invalid())])

        const verified = yield* Effect.exit(verify(token(jwt)))
        expect([label, Exit.isFailure(verified) && Cause.isFailType(verified.cause)]).toEqual([label, true])
        if (Exit.isFailure(verified) && Cause.isFailType(verified.cause)) {
          const error = verified.cause.error
          expect([label, error._tag, error.reason]).toEqual([label, "TokenError", "InvalidTokenMaterial"])
          if (jwt.length > 0) expect(error.message).not.toContain(jwt)
          expect([label, error.message]).toEqual([label, expect.stringContaining(why(label))])
        }
      }
    }).pipe(Effect.provide(authorityLayer()))
  )

  it.effect("the genuine token the corpus is derived from is Valid", () =>
    Effect.gen(function* () {
      yield* corpus
      const session = yield* makeSession()
      expect((yield* classify(yield* issue(session)))._tag).toBe("Valid")
    }).pipe(Effect.provide(authorityLayer()))
  )
})

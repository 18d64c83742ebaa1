import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as jose from "jose"
import * as AuthTokens from "../../src/AuthTokens.js"
import {
  authorityLayer,
  classify,
  configLayer,
  issue,
  issuer,
  makeSession,
  startClock,
  token,
  verify
} from "../support/jose.js"

interface JwksServer {
  readonly url: string
  readonly hits: () => number
  readonly close: Effect.Effect<void>
}

/** A loopback server publishing the authority's current JWKS, counting requests. */
const serveJwks = Effect.gen(function* () {
  const keys = yield* AuthTokens.SigningKeys
  let hits = 0
  const server: Server = createServer((request, response) => {
    hits++
    if (request.url !== "/.well-known/jwks.json") {
      response.writeHead(404).end()
      return
    }
    const body = JSON.stringify(Effect.runSync(keys.jwks))
    response.writeHead(200, { "content-type": "application/jwk-set+json" }).end(body)
  })
  yield* Effect.async<void>((resume) => {
    server.listen(0, "127.0.0.1", () => resume(Effect.void))
  })
  let open = true
  const close = Effect.async<void>((resume) => {
    if (!open) return resume(Effect.void)
    open = false
    server.close(() => resume(Effect.void))
    server.closeAllConnections()
  })
  yield* Effect.addFinalizer(() => close)
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/.well-known/jwks.json`, hits: () => hits, close } satisfies JwksServer
})

const remoteVerifier = (url: string | URL, options: AuthTokens.RemoteJwksOptions = {}) =>
  Layer.build(AuthTokens.remoteJwksVerifierLayer(url, options).pipe(Layer.provide(configLayer())))

describe("remoteJwksVerifierLayer", () => {
  it.scoped("fetches once, caches, and survives the server going away with the cached keys", () =>
    Effect.gen(function* () {
      yield* startClock
      const server = yield* serveJwks
      const verifier = yield* remoteVerifier(server.url)
      const jwt = yield* issue(yield* makeSession())
      expect(server.hits()).toBe(0)

      for (let i = 0; i < 5; i++) expect((yield* classify(jwt).pipe(Effect.provide(verifier)))._tag).toBe("Valid")
      expect(server.hits()).toBe(1)

      yield* server.close
      expect((yield* classify(jwt).pipe(Effect.provide(verifier)))._tag).toBe("Valid")
      expect((yield* verify(jwt).pipe(Effect.provide(verifier))).subjectId).toBe("user-42")
    }).pipe(Effect.provide(authorityLayer()))
  )

  it.scoped("keeps answering from the last fetched set when a refresh fails", () =>
    Effect.gen(function* () {
      yield* startClock
      const server = yield* serveJwks
      // A zero cache age makes every call refresh, so the fallback is exercised on the next call.
      const verifier = yield* remoteVerifier(server.url, { cacheMaxAge: 0 })
      const jwt = yield* issue(yield* makeSession())
      expect((yield* classify(jwt).pipe(Effect.provide(verifier)))._tag).toBe("Valid")
      expect((yield* classify(jwt).pipe(Effect.provide(verifier)))._tag).toBe("Valid")
      expect(server.hits()).toBe(2)

      yield* server.close
      expect((yield* classify(jwt).pipe(Effect.provide(verifier)))._tag).toBe("Valid")
    }).pipe(Effect.provide(authorityLayer()))
  )

  it.scoped("picks up a rotated key on an unknown kid, with one refresh; a still-unknown kid is Invalid", () =>
    Effect.gen(function* () {
      yield* startClock
      const keys = yield* AuthTokens.SigningKeys
      const server = yield* serveJwks
      const verifier = yield* remoteVerifier(server.url, { cooldown: 0 })
      const session = yield* makeSession()
      const before = yield* issue(session)
      expect((yield* classify(before).pipe(Effect.provide(verifier)))._tag).toBe("Valid")
      expect(server.hits()).toBe(1)

      yield* keys.rotate(yield* AuthTokens.generateSigningKey({ kid: "k2" }))
      const after = yield* issue(session)
      expect((yield* classify(after).pipe(Effect.provide(verifier)))._tag).toBe("Valid")
      expect(server.hits()).toBe(2)
      expect((yield* classify(before).pipe(Effect.provide(verifier)))._tag).toBe("Valid")
      expect(server.hits()).toBe(2)

      const ghost = yield* AuthTokens.generateSigningKey({ kid: "ghost" })
      const forged = yield* Effect.promise(() =>
        new jose.SignJWT({ iss: issuer, sub: session.subjectId, sid: session.sessionId, jti: "x", iat: 1, exp: 2e9 })
          .setProtectedHeader({ alg: ghost.alg, kid: ghost.kid })
          .sign(Redacted.value(ghost.privateKey))
      )
      expect((yield* classify(token(forged)).pipe(Effect.provide(verifier)))._tag).toBe("Invalid")
      expect(server.hits()).toBe(3)
      expect((yield* Effect.flip(verify(token(forged)).pipe(Effect.provide(verifier)))).message).toContain(
        "unknown key"
      )
    }).pipe(Effect.provide(authorityLayer({ kid: "k1" })))
  )

  it.scoped("does not refetch for an unknown kid inside the cooldown", () =>
    Effect.gen(function* () {
      yield* startClock
      const keys = yield* AuthTokens.SigningKeys
      const server = yield* serveJwks
      const verifier = yield* remoteVerifier(server.url)
      const session = yield* makeSession()
      expect((yield* classify(yield* issue(session)).pipe(Effect.provide(verifier)))._tag).toBe("Valid")
      yield* keys.rotate(yield* AuthTokens.generateSigningKey({ kid: "k2" }))
      expect((yield* classify(yield* issue(session)).pipe(Effect.provide(verifier)))._tag).toBe("Invalid")
      expect(server.hits()).toBe(1)
    }).pipe(Effect.provide(authorityLayer({ kid: "k1" })))
  )

  it.scoped("a removed key's tokens become Invalid once the cache refreshes", () =>
    Effect.gen(function* () {
      yield* startClock
      const keys = yield* AuthTokens.SigningKeys
      const server = yield* serveJwks
      const verifier = yield* remoteVerifier(server.url, { cacheMaxAge: 0, cooldown: 0 })
      const session = yield* makeSession()
      const old = yield* issue(session)
      expect((yield* classify(old).pipe(Effect.provide(verifier)))._tag).toBe("Valid")
      yield* keys.rotate(yield* AuthTokens.generateSigningKey({ kid: "k2" }))
      yield* keys.retire("k1")
      expect((yield* classify(old).pipe(Effect.provide(verifier)))._tag).toBe("Invalid")
      expect((yield* classify(yield* issue(session)).pipe(Effect.provide(verifier)))._tag).toBe("Valid")
    }).pipe(Effect.provide(authorityLayer({ kid: "k1" })))
  )

  it.scoped("without any fetched set, verify fails with reason Failed and classify is Invalid", () =>
    Effect.gen(function* () {
      yield* startClock
      const server = yield* serveJwks
      yield* server.close
      const verifier = yield* remoteVerifier(server.url, { timeout: "2 seconds" })
      const jwt = yield* issue(yield* makeSession())
      expect((yield* classify(jwt).pipe(Effect.provide(verifier)))._tag).toBe("Invalid")
      expect(yield* Effect.flip(verify(jwt).pipe(Effect.provide(verifier)))).toMatchObject({
        _tag: "TokenError",
        reason: "Failed",
        message: "The verification keys are unavailable"
      })
    }).pipe(Effect.provide(authorityLayer()))
  )

  it.scoped("a JWKS endpoint answering 404 leaves tokens Invalid and verify failing with reason Failed", () =>
    Effect.gen(function* () {
      yield* startClock
      const server = yield* serveJwks
      const verifier = yield* remoteVerifier(server.url.replace("jwks.json", "missing.json"))
      const jwt = yield* issue(yield* makeSession())
      expect((yield* classify(jwt).pipe(Effect.provide(verifier)))._tag).toBe("Invalid")
      expect((yield* Effect.flip(verify(jwt).pipe(Effect.provide(verifier)))).reason).toBe("Failed")
      expect(server.hits()).toBe(2)
    }).pipe(Effect.provide(authorityLayer()))
  )

  it.scoped("refuses bad URLs and plain http off loopback with ConfigError", () =>
    Effect.gen(function* () {
      for (const [url, options] of [
        ["not a url", {}],
        ["http://auth.example.com/jwks", {}],
        ["ftp://127.0.0.1/jwks", {}],
        ["https://auth.example.com/jwks", { cooldown: "forever" }],
        ["https://auth.example.com/jwks", { cacheMaxAge: Number.POSITIVE_INFINITY }]
      ] as const) {
        const error = yield* Effect.flip(remoteVerifier(url, options as AuthTokens.RemoteJwksOptions))
        expect([url, error._tag]).toEqual([url, "ConfigError"])
      }
      yield* remoteVerifier("http://auth.internal/jwks", { allowInsecureHttp: true })
      yield* remoteVerifier("https://auth.example.com/jwks")
      yield* remoteVerifier(new URL("http://localhost:1/jwks"))
    })
  )
})

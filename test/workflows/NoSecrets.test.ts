import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, TestClock } from "effect"
import * as AuthTokens from "../../src/AuthTokens.js"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import { SessionRevoker } from "../../src/SessionRevoker.js"
import * as Tokens from "../../src/Tokens.js"
import * as Capture from "../support/Capture.js"
import { joseStack } from "../support/JoseStack.js"
import { expectTag, expired, hashOf, login, neverIssued, renew, revoke, valid } from "../support/Scenario.js"

describe("no secrets out", () => {
  it.effect("after a full lifecycle, logs and spans hold no refresh token, hash or access token", () =>
    Effect.gen(function* () {
      const secrets: Array<string> = []
      const keep = (pair: Tokens.IssuedTokenPair) =>
        Effect.gen(function* () {
          secrets.push(Redacted.value(pair.refreshToken.value), Redacted.value(pair.authToken.value))
          secrets.push(yield* hashOf(pair.refreshToken))
          // The signature alone is a secret-bearing part of the JWT too.
          secrets.push(Redacted.value(pair.authToken.value).split(".")[2] ?? "")
        })

      // Login and checks.
      const alice = yield* login("alice")
      const bob = yield* login("bob")
      yield* keep(alice.tokens)
      yield* keep(bob.tokens)
      const verifier = yield* AuthTokens.AuthTokenVerifier
      yield* verifier.classify(alice.tokens.authToken)
      yield* renew(alice.tokens.refreshToken, valid)

      // Renewal, a benign race, a replay after the grace.
      const renewed = expectTag(yield* renew(alice.tokens.refreshToken, expired, "Required"), "Renewed")
      yield* keep(renewed.tokens)
      expectTag(yield* renew(alice.tokens.refreshToken, expired, "Required"), "Superseded")
      yield* TestClock.adjust("1 minute")
      expectTag(yield* renew(alice.tokens.refreshToken, expired, "Required"), "ReplayDetected")
      expectTag(yield* renew(renewed.tokens.refreshToken, expired, "Required"), "Rejected")

      // Bad input and unknown tokens.
      secrets.push(Redacted.value(neverIssued.value), yield* hashOf(neverIssued))
      expectTag(yield* renew(neverIssued, expired, "Required"), "Rejected")
      const leaked = "s3cr3t-but-malformed-\u00e9".repeat(3)
      secrets.push(leaked)
      yield* Effect.flip(renew(new Tokens.RefreshToken({ value: Redacted.make(leaked) }), expired, "Required"))

      // Sign-out.
      const bobRenewed = expectTag(yield* renew(bob.tokens.refreshToken, expired, "Required"), "Renewed")
      yield* keep(bobRenewed.tokens)
      yield* revoke(bob, "CurrentSession")
      yield* revoke(bob, "SessionFamily")
      const revoker = yield* SessionRevoker
      yield* revoker.listSessions("alice")
      yield* revoker.revokeSubject("alice")

      const dump = yield* Capture.dump
      // The capture saw the lifecycle (so the check below is not vacuous) ...
      expect(dump).toContain(alice.session.sessionId)
      expect(dump).toContain("sessions.repository.rotateRefreshToken")
      expect(dump).toContain("ReplayDetected")
      const { logs, spans } = yield* Capture.Captured
      expect(logs.length).toBeGreaterThan(10)
      expect(spans.length).toBeGreaterThan(20)
      // ... and none of the secrets.
      expect(secrets.length).toBe(19)
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThan(20)
        expect(dump.includes(secret)).toBe(false)
      }
    }).pipe(Effect.provide(Layer.merge(joseStack(MemorySessionRepository.layer), Capture.layer)))
  )
})

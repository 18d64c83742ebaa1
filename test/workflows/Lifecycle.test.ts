import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Option, pipe, TestClock } from "effect"
import * as AuthTokens from "../../src/AuthTokens.js"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import * as SessionContext from "../../src/SessionContext.js"
import { SessionRevoker } from "../../src/SessionRevoker.js"
import type * as Tokens from "../../src/Tokens.js"
import { joseStack } from "../support/JoseStack.js"
import { expectTag, login, renew, startClock } from "../support/Scenario.js"
import { issuer } from "../support/Workflows.js"

const classify = (token: Tokens.AuthToken) =>
  Effect.flatMap(AuthTokens.AuthTokenVerifier, (verifier) => verifier.classify(token))

const verify = (token: Tokens.AuthToken) =>
  Effect.flatMap(AuthTokens.AuthTokenVerifier, (verifier) => verifier.verify(token))

describe("a full session lifecycle with jose-signed access tokens", () => {
  it.effect("login, check, proactive renewal, required renewal, second device, sign-out everywhere", () =>
    Effect.gen(function* () {
      yield* startClock
      const laptop = pipe(
        SessionContext.empty,
        SessionContext.withClient({ userAgent: "Firefox/140", deviceId: "laptop" })
      )
      const issued = yield* login("alice", laptop)

      // The access token is checked locally and is valid for the whole TTL minus the window.
      const fresh = expectTag(yield* classify(issued.tokens.authToken), "Valid")
      expect(Duration.toMinutes(fresh.expiresIn)).toBe(15)
      const claims = yield* verify(issued.tokens.authToken)
      expect([claims.issuer, claims.subjectId, claims.sessionId]).toEqual([issuer, "alice", issued.session.sessionId])
      expect((yield* renew(issued.tokens.refreshToken, fresh, "Proactive"))._tag).toBe("NotNeeded")

      // Near expiry: the client renews proactively.
      yield* TestClock.adjust("810 seconds")
      const near = expectTag(yield* classify(issued.tokens.authToken), "NearExpiry")
      const first = expectTag(yield* renew(issued.tokens.refreshToken, near, "Proactive"), "Renewed")
      expectTag(yield* classify(first.tokens.authToken), "Valid")
      const renewedClaims = yield* verify(first.tokens.authToken)
      expect(renewedClaims.sessionId).toBe(issued.session.sessionId)
      expect(renewedClaims.tokenId).not.toBe(claims.tokenId)

      // Later the access token has expired: renewal is required.
      yield* TestClock.adjust("20 minutes")
      const lapsed = expectTag(yield* classify(first.tokens.authToken), "Expired")
      const second = expectTag(yield* renew(first.tokens.refreshToken, lapsed, "Required"), "Renewed")
      expectTag(yield* classify(second.tokens.authToken), "Valid")

      // A second device; both are listed with their context.
      const phone = yield* login("alice", pipe(SessionContext.empty, SessionContext.withClient({ deviceId: "phone" })))
      const revoker = yield* SessionRevoker
      const devices = yield* revoker.listSessions("alice")
      expect(devices.map((d) => d.session.sessionId)).toEqual([issued.session.sessionId, phone.session.sessionId])
      expect(devices.map((d) => Option.getOrUndefined(d.context.client.deviceId))).toEqual(["laptop", "phone"])

      // Sign out everywhere. The access tokens already out stay valid until they expire (the design's
      // trade-off: no introspection per request); after that, no refresh token of alice renews.
      expect(yield* revoker.revokeSubject("alice")).toBe(2)
      expectTag(yield* classify(phone.tokens.authToken), "Valid")
      yield* TestClock.adjust("15 minutes")
      for (const [access, refresh] of [
        [second.tokens.authToken, second.tokens.refreshToken],
        [phone.tokens.authToken, phone.tokens.refreshToken]
      ] as const) {
        const state = expectTag(yield* classify(access), "Expired")
        expect(expectTag(yield* renew(refresh, state, "Required"), "Rejected").reason).toBe("SessionInactive")
      }
      expect(yield* revoker.listSessions("alice")).toEqual([])
    }).pipe(Effect.provide(joseStack(MemorySessionRepository.layer)))
  )
})

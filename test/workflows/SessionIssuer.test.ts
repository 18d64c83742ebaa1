import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Exit, Layer, Metric, Option, pipe, TestClock } from "effect"
import * as Lease from "../../src/Lease.js"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import * as SessionConfig from "../../src/SessionConfig.js"
import * as SessionContext from "../../src/SessionContext.js"
import * as SessionIssuer from "../../src/SessionIssuer.js"
import { SessionRepository } from "../../src/SessionRepository.js"
import { SessionRevoker } from "../../src/SessionRevoker.js"
import * as Sessions from "../../src/Sessions.js"
import * as Tokens from "../../src/Tokens.js"
import * as Capture from "../support/Capture.js"
import { expectTag, hashOf, login, start, startClock } from "../support/Scenario.js"
import * as SpyingRepository from "../support/SpyingRepository.js"
import * as TestAuthTokens from "../support/TestAuthTokens.js"
import { stack } from "../support/Workflows.js"

const spied = () => stack(SpyingRepository.layer(MemorySessionRepository.layer))

describe("SessionIssuer", () => {
  it.effect("issue persists the session and the hash of its refresh token, and nothing else", () =>
    Effect.gen(function* () {
      yield* startClock
      const issued = yield* login("alice")

      expect(yield* SpyingRepository.calls).toEqual(["createSession"])
      const repo = yield* SessionRepository
      const match = yield* repo.findSessionByRefreshTokenHash(issued.refreshTokenHash)
      const current = expectTag(Option.getOrThrow(match), "Current")
      expect(current.lookup.session).toEqual(issued.session)
      expect(current.lookup.family.familyId).toBe(issued.session.familyId)
      expect(issued.refreshTokenHash).toBe(yield* hashOf(issued.tokens.refreshToken))
    }).pipe(Effect.provide(spied()))
  )

  it.effect("the session's times come from the Clock and its expiry from refreshTokenTtl", () =>
    Effect.gen(function* () {
      yield* startClock
      const issued = yield* login("alice")
      const now = DateTime.unsafeMake(start)
      expect(issued.session.createdAt).toEqual(now)
      expect(issued.session.expiresAt).toEqual(DateTime.add(now, { days: 30 }))
      expect(Option.isNone(issued.session.lastSeenAt)).toBe(true)
      expect(issued.session.revoked).toBe(false)
      expect(issued.session.subjectId).toBe("alice")
      expect(Duration.toMinutes(issued.authTokenTtl)).toBe(15)
      expect(issued.session.sessionId).not.toBe(issued.session.familyId)
    }).pipe(Effect.provide(stack(MemorySessionRepository.layer)))
  )

  it.effect("the absolute session lifetime caps the first expiry", () =>
    Effect.gen(function* () {
      yield* startClock
      const issued = yield* login("alice")
      expect(issued.session.expiresAt).toEqual(DateTime.add(DateTime.unsafeMake(start), { hours: 8 }))
    }).pipe(Effect.provide(stack(MemorySessionRepository.layer, { config: { absoluteSessionLifetime: "8 hours" } })))
  )

  it.effect("each login starts a new family and a fresh 64-character refresh token", () =>
    Effect.gen(function* () {
      const first = yield* login("alice")
      const second = yield* login("alice")
      expect(first.session.familyId).not.toBe(second.session.familyId)
      expect(first.session.sessionId).not.toBe(second.session.sessionId)
      expect(first.refreshTokenHash).not.toBe(second.refreshTokenHash)
      expect(Tokens.refreshTokenFromRedacted(first.tokens.refreshToken.value)._tag).toBe("Right")
    }).pipe(Effect.provide(stack(MemorySessionRepository.layer)))
  )

  it.effect("the session context is stored and listSessions returns it", () =>
    Effect.gen(function* () {
      const context = pipe(
        SessionContext.empty,
        SessionContext.withClient({ userAgent: "Firefox/140", ip: "203.0.113.7", deviceId: "laptop" }),
        SessionContext.withCorrelationId("req-1"),
        SessionContext.withAttribute("tenant", "acme")
      )
      const withContext = yield* login("alice", context)
      yield* TestClock.adjust("1 second")
      const plain = yield* login("alice")
      const revoker = yield* SessionRevoker
      const listed = yield* revoker.listSessions("alice")
      expect(listed.map((l) => l.session.sessionId)).toEqual([withContext.session.sessionId, plain.session.sessionId])
      expect(listed[0]?.context).toEqual(context)
      expect(listed[1]?.context).toEqual(SessionContext.empty)
    }).pipe(Effect.provide(stack(MemorySessionRepository.layer)))
  )

  it.effect("invalid subject ids are a RepositoryError and touch no storage", () =>
    Effect.gen(function* () {
      for (const subjectId of ["", "x".repeat(256), "nul\u0000byte", "line\nbreak"]) {
        const error = yield* Effect.flip(login(subjectId))
        expect(error._tag).toBe("RepositoryError")
        expect(error.reason).toBe("InvalidState")
      }
      expect(yield* SpyingRepository.calls).toEqual([])
    }).pipe(Effect.provide(spied()))
  )

  it.effect("a failing access-token issuer fails the login and stores nothing", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(login("alice"))
      expect(error._tag).toBe("TokenError")
      expect(error.reason).toBe("AuthIssuanceFailed")
      expect(yield* SpyingRepository.calls).toEqual([])
    }).pipe(
      Effect.provide(
        stack(SpyingRepository.layer(MemorySessionRepository.layer), { authTokens: TestAuthTokens.failingLayer })
      )
    )
  )

  it.effect("an invalid configuration fails the layer with ConfigError, however it was provided", () =>
    Effect.gen(function* () {
      const dependencies = Layer.mergeAll(
        Lease.layerFromRepository,
        Tokens.tokenPairIssuerLayer.pipe(
          Layer.provideMerge(Tokens.defaultTokenMaterialLayer),
          Layer.provide(TestAuthTokens.layer)
        )
      ).pipe(Layer.provideMerge(MemorySessionRepository.layer))
      // Built with the public constructor, bypassing SessionConfig.make.
      const bypassed = Layer.succeed(
        SessionConfig.SessionConfig,
        new SessionConfig.ValidSessionConfig({
          ...SessionConfig.defaults,
          proactiveRenewalWindow: Duration.minutes(20)
        })
      )
      for (const config of [bypassed, SessionConfig.layer({ authTokenTtl: 0 })]) {
        const exit = yield* Effect.exit(
          Layer.build(Sessions.layer.pipe(Layer.provide(dependencies), Layer.provide(config))).pipe(Effect.scoped)
        )
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) expect(JSON.stringify(exit.cause)).toContain("ConfigError")
      }
    })
  )

  it.effect("a login is counted, traced and logged with its ids", () =>
    Effect.gen(function* () {
      const issued = Metric.tagged(SessionIssuer.issueOutcomes, "outcome", "Issued")
      const before = (yield* Metric.value(issued)).count
      const { session } = yield* login("alice")
      expect((yield* Metric.value(issued)).count).toBe(before + 1)

      const [span] = yield* Capture.spansNamed("sessions.issue")
      expect(span?.attributes.get("sessionId")).toBe(session.sessionId)
      expect(span?.attributes.get("familyId")).toBe(session.familyId)
      expect(span?.attributes.get("outcome")).toBe("Issued")
      const [repoSpan] = yield* Capture.spansNamed("sessions.repository.createSession")
      expect(repoSpan?.attributes.get("sessionId")).toBe(session.sessionId)
      expect(Option.map(Option.fromNullable(repoSpan?.parent), (p) => Option.isSome(p))).toEqual(Option.some(true))

      const { logs } = yield* Capture.Captured
      const line = logs.find((log) => log.message === "session issued")
      expect(line?.annotations).toMatchObject({ sessionId: session.sessionId, outcome: "Issued" })
    }).pipe(Effect.provide(Layer.merge(stack(MemorySessionRepository.layer), Capture.layer)))
  )
})

import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, Option, TestClock } from "effect"
import * as Logout from "../../src/Logout.js"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import * as Session from "../../src/Session.js"
import { SessionRepository } from "../../src/SessionRepository.js"
import * as SessionRevoker from "../../src/SessionRevoker.js"
import { expectTag, login, renew, revoke } from "../support/Scenario.js"
import * as SpyingRepository from "../support/SpyingRepository.js"
import { stack } from "../support/Workflows.js"

const memory = () => stack(MemorySessionRepository.layer)
const revoker = SessionRevoker.SessionRevoker

describe("SessionRevoker", () => {
  it.effect("revoking the current session revokes it and its refresh token, not its siblings' families", () =>
    Effect.gen(function* () {
      const phone = yield* login("alice")
      const laptop = yield* login("alice")
      const outcome = yield* revoke(phone, "CurrentSession")
      expect(outcome).toEqual(Logout.LogoutOutcome.CurrentSessionRevoked({ sessionId: phone.session.sessionId }))

      const repo = yield* SessionRepository
      expect(Option.map(yield* repo.findSession(phone.session.sessionId), (s) => s.revoked)).toEqual(Option.some(true))
      expect(Option.map(yield* repo.findRefreshRecord(phone.session.sessionId), (r) => r.revoked)).toEqual(
        Option.some(true)
      )
      expect(Option.map(yield* repo.findFamily(phone.session.familyId), (f) => f.revoked)).toEqual(Option.some(false))
      expect(expectTag(yield* renew(phone.tokens.refreshToken), "Rejected").reason).toBe("SessionInactive")
      expectTag(yield* renew(laptop.tokens.refreshToken), "Renewed")
    }).pipe(Effect.provide(memory()))
  )

  it.effect("revoking the family revokes every rotation of the login", () =>
    Effect.gen(function* () {
      const issued = yield* login("alice")
      const renewed = expectTag(yield* renew(issued.tokens.refreshToken), "Renewed")
      const outcome = yield* revoke(issued, "SessionFamily")
      expect(outcome).toEqual(Logout.LogoutOutcome.SessionFamilyRevoked({ familyId: issued.session.familyId }))
      const repo = yield* SessionRepository
      expect(Option.map(yield* repo.findFamily(issued.session.familyId), (f) => f.revoked)).toEqual(Option.some(true))
      expect(expectTag(yield* renew(renewed.tokens.refreshToken), "Rejected").reason).toBe("SessionInactive")
    }).pipe(Effect.provide(memory()))
  )

  it.effect("revocation is idempotent", () =>
    Effect.gen(function* () {
      const issued = yield* login("alice")
      for (const scope of ["CurrentSession", "CurrentSession", "SessionFamily", "SessionFamily"] as const) {
        yield* revoke(issued, scope)
      }
      expect(yield* (yield* revoker).listSessions("alice")).toEqual([])
    }).pipe(Effect.provide(memory()))
  )

  it.effect("unknown sessions and families are typed RevocationErrors", () =>
    Effect.gen(function* () {
      const service = yield* revoker
      const sessionId = yield* Session.makeSessionId
      const familyId = yield* Session.makeSessionFamilyId
      const bySession = yield* Effect.flip(
        service.revoke(new Logout.LogoutRequest({ sessionId, familyId, scope: "CurrentSession" }))
      )
      const byFamily = yield* Effect.flip(
        service.revoke(new Logout.LogoutRequest({ sessionId, familyId, scope: "SessionFamily" }))
      )
      expect([bySession._tag, bySession.reason]).toEqual(["RevocationError", "SessionNotFound"])
      expect([byFamily._tag, byFamily.reason]).toEqual(["RevocationError", "SessionFamilyNotFound"])
    }).pipe(Effect.provide(memory()))
  )

  it.effect("revokeSubject signs a subject out everywhere and counts the families", () =>
    Effect.gen(function* () {
      const service = yield* revoker
      const a = yield* login("alice")
      const b = yield* login("alice")
      const bob = yield* login("bob")
      const before = (yield* Metric.value(
        Metric.tagged(SessionRevoker.revocationOutcomes, "outcome", "SubjectRevoked")
      )).count
      expect(yield* service.revokeSubject("alice")).toBe(2)
      expect(yield* service.revokeSubject("alice")).toBe(0)
      expect(
        (yield* Metric.value(Metric.tagged(SessionRevoker.revocationOutcomes, "outcome", "SubjectRevoked"))).count
      ).toBe(before + 2)
      for (const issued of [a, b]) {
        expect(expectTag(yield* renew(issued.tokens.refreshToken), "Rejected").reason).toBe("SessionInactive")
      }
      expectTag(yield* renew(bob.tokens.refreshToken), "Renewed")
      expect((yield* service.listSessions("bob")).map((l) => l.session.sessionId)).toEqual([bob.session.sessionId])
    }).pipe(Effect.provide(memory()))
  )

  it.effect("listSessions shows only sessions active now, read from the Clock", () =>
    Effect.gen(function* () {
      const service = yield* revoker
      const first = yield* login("alice")
      yield* TestClock.adjust("10 days")
      const second = yield* login("alice")
      expect((yield* service.listSessions("alice")).map((l) => l.session.sessionId)).toEqual([
        first.session.sessionId,
        second.session.sessionId
      ])
      yield* TestClock.adjust("20 days")
      expect((yield* service.listSessions("alice")).map((l) => l.session.sessionId)).toEqual([second.session.sessionId])
    }).pipe(Effect.provide(memory()))
  )

  it.effect("invalid subject ids are typed errors and touch no storage", () =>
    Effect.gen(function* () {
      const service = yield* revoker
      for (const subjectId of ["", "x".repeat(256), "tab\tcharacter"]) {
        const listError = yield* Effect.flip(service.listSessions(subjectId))
        expect([listError._tag, listError.reason]).toEqual(["RepositoryError", "InvalidState"])
        const revokeError = yield* Effect.flip(service.revokeSubject(subjectId))
        expect([revokeError._tag, revokeError.reason]).toEqual(["RevocationError", "Failed"])
      }
      expect(yield* SpyingRepository.calls).toEqual([])
    }).pipe(Effect.provide(stack(SpyingRepository.layer(MemorySessionRepository.layer))))
  )
})

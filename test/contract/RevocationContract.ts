/**
 * The repository contract: revoking sessions, families and subjects.
 */
import { describe, expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Session from "../../src/Session.js"
import * as SessionRepository from "../../src/SessionRepository.js"
import {
  acquire,
  at,
  type ContractTest,
  expectCurrent,
  failureOf,
  hashOf,
  newSession,
  repository,
  rotation,
  stored,
  subject
} from "./ContractFixtures.js"

/** Registers the revocation part of the contract. */
export const revocationContract = (test: ContractTest): void => {
  describe("revocation", () => {
    test(
      "revoking the current session marks it and its refresh record revoked, idempotently",
      Effect.gen(function* () {
        const repo = yield* repository
        const { session, hash } = yield* stored("a")
        const sibling = yield* stored("b", { familyId: session.familyId })
        const scope = SessionRepository.RevokeSessionScope.CurrentSession({ sessionId: session.sessionId })
        yield* repo.revokeSession(scope)
        yield* repo.revokeSession(scope)

        expect(Option.map(yield* repo.findSession(session.sessionId), (s) => s.revoked)).toEqual(Option.some(true))
        expect(Option.map(yield* repo.findRefreshRecord(session.sessionId), (r) => r.revoked)).toEqual(
          Option.some(true)
        )
        expect(Option.map(yield* repo.findFamily(session.familyId), (f) => f.revoked)).toEqual(Option.some(false))
        expect(Session.isLookupActiveAt(yield* expectCurrent(hash), at(1))).toBe(false)
        expect(Session.isLookupActiveAt(yield* expectCurrent(sibling.hash), at(1))).toBe(true)
      })
    )

    test(
      "revoking a session family revokes the family and every session in it, and nothing else",
      Effect.gen(function* () {
        const repo = yield* repository
        const a = yield* stored("a")
        const b = yield* stored("b", { familyId: a.session.familyId })
        const other = yield* stored("c")
        yield* repo.revokeSession(SessionRepository.RevokeSessionScope.SessionFamily({ familyId: a.session.familyId }))
        for (const hash of [a.hash, b.hash]) {
          const lookup = yield* expectCurrent(hash)
          expect([lookup.family.revoked, lookup.session.revoked, lookup.refreshRecord.revoked]).toEqual([
            true,
            true,
            true
          ])
        }
        expect(Session.isLookupActiveAt(yield* expectCurrent(other.hash), at(1))).toBe(true)
      })
    )

    test(
      "revokeFamily revokes every session of the family and is idempotent",
      Effect.gen(function* () {
        const repo = yield* repository
        const a = yield* stored("a")
        const b = yield* stored("b", { familyId: a.session.familyId })
        yield* repo.revokeFamily(a.session.familyId)
        yield* repo.revokeFamily(a.session.familyId)
        expect(Option.map(yield* repo.findFamily(a.session.familyId), (f) => f.revoked)).toEqual(Option.some(true))
        for (const id of [a.session.sessionId, b.session.sessionId]) {
          expect(Option.map(yield* repo.findSession(id), (s) => s.revoked)).toEqual(Option.some(true))
          expect(Option.map(yield* repo.findRefreshRecord(id), (r) => r.revoked)).toEqual(Option.some(true))
        }
      })
    )

    test(
      "unknown sessions and families are SessionNotFound and SessionFamilyNotFound",
      Effect.gen(function* () {
        const repo = yield* repository
        const probe = yield* newSession()
        const bySession = yield* failureOf(
          repo.revokeSession(SessionRepository.RevokeSessionScope.CurrentSession({ sessionId: probe.sessionId }))
        )
        const byScope = yield* failureOf(
          repo.revokeSession(SessionRepository.RevokeSessionScope.SessionFamily({ familyId: probe.familyId }))
        )
        const byFamily = yield* failureOf(repo.revokeFamily(probe.familyId))
        expect([bySession.reason, byScope.reason, byFamily.reason]).toEqual([
          "SessionNotFound",
          "SessionFamilyNotFound",
          "SessionFamilyNotFound"
        ])
      })
    )

    test(
      "revoking clears the lease: rotation under it is refused",
      Effect.gen(function* () {
        const repo = yield* repository
        const { session, hash } = yield* stored("a")
        const { lease } = yield* acquire(session.sessionId, 10)
        yield* repo.revokeSession(SessionRepository.RevokeSessionScope.CurrentSession({ sessionId: session.sessionId }))
        const outcome = yield* repo.rotateRefreshToken(
          rotation({ session, lease, previousHash: hash, nextHash: hashOf("b"), now: 11 })
        )
        expect(outcome._tag).toBe("SessionMissing")
        expect(Option.isNone(yield* repo.findSessionByRefreshTokenHash(hashOf("b")))).toBe(true)
      })
    )

    test(
      "revokeSubject revokes every family of the subject and counts the newly revoked ones",
      Effect.gen(function* () {
        const repo = yield* repository
        const a = yield* stored("a", { subjectId: "alice" })
        yield* stored("b", { subjectId: "alice" })
        const c = yield* stored("c", { subjectId: "alice" })
        const bob = yield* stored("d", { subjectId: "bob" })
        yield* repo.revokeFamily(c.session.familyId)

        expect(yield* repo.revokeSubject(subject("alice"))).toBe(2)
        expect(yield* repo.revokeSubject(subject("alice"))).toBe(0)
        expect(yield* repo.revokeSubject(subject("nobody"))).toBe(0)
        expect(yield* repo.listSessions(subject("alice"), at(1))).toEqual([])
        expect(Session.isLookupActiveAt(yield* expectCurrent(a.hash), at(1))).toBe(false)
        expect(Session.isLookupActiveAt(yield* expectCurrent(bob.hash), at(1))).toBe(true)
      })
    )
  })
}

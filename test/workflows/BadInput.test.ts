import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Redacted } from "effect"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import { SessionRevoker } from "../../src/SessionRevoker.js"
import * as Tokens from "../../src/Tokens.js"
import { expectTag, expired, login, neverIssued, renew } from "../support/Scenario.js"
import { snapshot } from "../support/Snapshot.js"
import * as SpyingRepository from "../support/SpyingRepository.js"
import { stack } from "../support/Workflows.js"

const malformed: ReadonlyArray<readonly [string, string]> = [
  ["empty", ""],
  ["whitespace-only", " \t\n ".repeat(20)],
  ["1 MB", "a".repeat(1024 * 1024)],
  ["non-ASCII", "é".repeat(64)],
  ["emoji", "\u{1F511}".repeat(40)],
  ["too short", "abc123"],
  ["embedded NUL", `${"a".repeat(40)}\u0000${"a".repeat(40)}`]
]

const invalidSubjects: ReadonlyArray<string> = ["", "x".repeat(256), "nul\u0000", "bell\u0007", "line\nbreak"]

/** Two logins, one of them renewed, and the snapshot of everything the repository knows about them. */
const populated = Effect.gen(function* () {
  const alice = yield* login("alice")
  const bob = yield* login("bob")
  const renewed = expectTag(yield* renew(bob.tokens.refreshToken), "Renewed")
  const hasher = yield* Tokens.RefreshTokenHasher
  const known = {
    subjects: ["alice", "bob"],
    sessionIds: [alice.session.sessionId, bob.session.sessionId],
    familyIds: [alice.session.familyId, bob.session.familyId],
    hashes: [alice.refreshTokenHash, bob.refreshTokenHash, yield* hasher.hash(renewed.tokens.refreshToken)]
  }
  const before = yield* snapshot(known)
  yield* SpyingRepository.reset
  return { known, before }
})

const spied = () => stack(SpyingRepository.layer(MemorySessionRepository.layer))

describe("bad input", () => {
  for (const [name, raw] of malformed) {
    it.effect(`a ${name} refresh token is a TokenError and leaves the repository unchanged`, () =>
      Effect.gen(function* () {
        const { known, before } = yield* populated
        // The smart constructor refuses it ...
        const parsed = Tokens.refreshTokenFromString(raw)
        expect(Either.isLeft(parsed)).toBe(true)
        // ... and so does the renewer when handed one built around the constructor.
        const bypassed = new Tokens.RefreshToken({ value: Redacted.make(raw) })
        const error = yield* Effect.flip(renew(bypassed, expired, "Required"))
        expect(error._tag).toBe("TokenError")
        expect(["InvalidTokenMaterial", "InvalidRefreshTokenLength"]).toContain(error.reason)
        expect(error.message).not.toContain(raw.length > 0 ? raw.slice(0, 8) : "\u0000never")

        expect(yield* SpyingRepository.calls).toEqual([])
        expect(yield* snapshot(known)).toBe(before)
      }).pipe(Effect.provide(spied()))
    )
  }

  it.effect("a never-issued refresh token is Rejected and leaves the repository unchanged", () =>
    Effect.gen(function* () {
      const { known, before } = yield* populated
      expect(expectTag(yield* renew(neverIssued, expired, "Required"), "Rejected").reason).toBe("UnknownRefreshToken")
      expect(yield* SpyingRepository.mutations).toEqual([])
      expect(yield* snapshot(known)).toBe(before)
    }).pipe(Effect.provide(spied()))
  )

  it.effect("invalid subject ids are typed errors for every workflow and leave the repository unchanged", () =>
    Effect.gen(function* () {
      const { known, before } = yield* populated
      const revoker = yield* SessionRevoker
      for (const subjectId of invalidSubjects) {
        expect((yield* Effect.flip(login(subjectId))).reason).toBe("InvalidState")
        expect((yield* Effect.flip(revoker.listSessions(subjectId))).reason).toBe("InvalidState")
        expect((yield* Effect.flip(revoker.revokeSubject(subjectId))).reason).toBe("Failed")
      }
      expect(yield* SpyingRepository.calls).toEqual([])
      expect(yield* snapshot(known)).toBe(before)
    }).pipe(Effect.provide(spied()))
  )
})

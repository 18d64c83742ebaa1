/**
 * Hostile and unusual input: subject ids that look like SQL or stretch Unicode are stored and found
 * exactly; ids PostgreSQL cannot hold are refused before any SQL is sent; and no error message carries
 * SQL text, a driver message, a parameter or a hash.
 */
import { createHash } from "node:crypto"
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Layer, Option, pipe } from "effect"
import * as Lease from "../../src/Lease.js"
import * as Session from "../../src/Session.js"
import * as SessionContext from "../../src/SessionContext.js"
import type { RepositoryError } from "../../src/SessionErrors.js"
import {
  CreateSession,
  RevokeSessionScope,
  RotateRefreshToken,
  SessionRepository
} from "../../src/SessionRepository.js"
import { RefreshTokenHash } from "../../src/Tokens.js"
import { countingSpans, spans } from "../support/pgAuthority.js"
import {
  closeSharedPg,
  freshRepositoryOnClient,
  isolatedRepository,
  PgTestSchema,
  pgClientLayer
} from "../support/pgLayer.js"

afterAll(closeSharedPg)

const t0 = DateTime.unsafeMake("2030-01-01T00:00:00.000Z")
const hashOf = (label: string) => RefreshTokenHash.make(createHash("sha256").update(`input:${label}`).digest("hex"))

// The subject id bypasses the brand on purpose: the repository must check it itself.
const sessionFor = (subjectId: string) =>
  Effect.gen(function* () {
    return new Session.Session(
      {
        sessionId: yield* Session.makeSessionId,
        familyId: yield* Session.makeSessionFamilyId,
        subjectId: Session.SubjectId.make(subjectId, { disableValidation: true }),
        createdAt: t0,
        expiresAt: DateTime.add(t0, { hours: 1 }),
        lastSeenAt: Option.none(),
        revoked: false
      },
      { disableValidation: true }
    )
  })

const astral = "\u{1F510}" // two UTF-16 code units
const awkwardSubjects: ReadonlyArray<readonly [string, string]> = [
  ["single quotes", "o'brien''; SELECT 1; --"],
  ["double quotes", '"alice"'],
  ["semicolons and a statement", "x'); DROP TABLE sessions; --"],
  ["comment markers", "-- /* */ #"],
  ["LIKE wildcards", "a%b_c\\"],
  ["placeholders", "$1 ? :name @p0"],
  ["backslashes", "C:\\Users\\alice\\"],
  ["unicode", "Zoë 山田 مرحبا \u05D0 e\u0301 \u{1F600}"],
  ["the maximum length in BMP characters", "é".repeat(Session.maxSubjectIdLength)],
  ["the maximum length with astral characters", `${astral.repeat(127)}x`]
]

describe("subject ids that look like SQL or stretch Unicode", () => {
  it.effect("are stored and found exactly, and match nothing else", () =>
    Effect.gen(function* () {
      const repo = yield* SessionRepository
      const stored: Array<Session.Session> = []
      for (const [, subject] of awkwardSubjects) {
        expect(subject.length).toBeLessThanOrEqual(Session.maxSubjectIdLength)
        const session = yield* sessionFor(subject)
        yield* repo.createSession(
          new CreateSession({ session, refreshTokenHash: hashOf(subject), context: SessionContext.empty })
        )
        stored.push(session)
      }
      for (const session of stored) {
        expect(yield* repo.findSession(session.sessionId)).toEqual(Option.some(session))
        const listed = yield* repo.listSessions(session.subjectId, t0)
        expect(listed.map((entry) => entry.session)).toEqual([session])
        const match = yield* repo.findSessionByRefreshTokenHash(hashOf(session.subjectId))
        expect(Option.map(match, (m) => (m._tag === "Current" ? m.lookup.session.subjectId : ""))).toEqual(
          Option.some(session.subjectId)
        )
      }
      // Revoking one subject touches exactly its own family.
      const [first, ...others] = stored
      if (first === undefined) return expect.fail("no sessions stored")
      expect(yield* repo.revokeSubject(first.subjectId)).toBe(1)
      for (const other of others) {
        expect(Option.map(yield* repo.findSession(other.sessionId), (s) => s.revoked)).toEqual(Option.some(false))
      }
      // Nothing was executed as SQL: every table is still there.
      const sql = yield* SqlClient.SqlClient
      const schema = yield* PgTestSchema
      const tables = yield* sql`SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema}`
      expect(tables).toHaveLength(5)
    }).pipe(Effect.provide(isolatedRepository()))
  )

  it.effect("a context with NUL characters and lone surrogates round-trips exactly", () =>
    Effect.gen(function* () {
      const repo = yield* SessionRepository
      const session = yield* sessionFor("context-owner")
      const context = pipe(
        SessionContext.empty,
        SessionContext.withClient({ userAgent: "agent\u0000with NUL", ip: "::1", deviceId: "\uD800 lone" }),
        SessionContext.withAttribute("k'; --", "v\u0000")
      )
      yield* repo.createSession(new CreateSession({ session, refreshTokenHash: hashOf("ctx"), context }))
      const listed = yield* repo.listSessions(session.subjectId, t0)
      expect(listed[0]?.context).toEqual(context)
    }).pipe(Effect.provide(isolatedRepository()))
  )
})

const rejectedSubjects: ReadonlyArray<readonly [string, string]> = [
  ["a NUL byte", "alice\u0000admin"],
  ["one character over the maximum", "x".repeat(Session.maxSubjectIdLength + 1)],
  ["a megabyte", "x".repeat(1 << 20)],
  ["an empty id", ""],
  ["a control character", "alice\u001bbob"],
  ["a lone surrogate", "alice\uD800"]
]

describe("subject ids PostgreSQL cannot hold exactly", () => {
  for (const [label, subject] of rejectedSubjects) {
    it.effect(`${label} is InvalidState before any SQL, on every operation that takes one`, () =>
      Effect.gen(function* () {
        const repo = yield* SessionRepository
        const session = yield* sessionFor(subject)
        const subjectId = session.subjectId
        const [errors, counts] = yield* countingSpans(
          Effect.all([
            Effect.flip(
              repo.createSession(
                new CreateSession({ session, refreshTokenHash: hashOf(label), context: SessionContext.empty })
              )
            ),
            Effect.flip(repo.listSessions(subjectId, t0)),
            Effect.flip(repo.revokeSubject(subjectId))
          ])
        )
        for (const error of errors) {
          expect(error).toMatchObject({ _tag: "RepositoryError", reason: "InvalidState" })
          if (subject.length > 0) expect(error.message).not.toContain(subject.slice(0, 40))
        }
        expect(spans(counts, "sql.execute")).toBe(0)
      }).pipe(Effect.provide(isolatedRepository()))
    )
  }
})

// Words from SQL statements and from PostgreSQL or driver messages.
const leakMarkers = [
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "WITH",
  "relation",
  "does not exist",
  "duplicate key",
  "violates",
  "ECONNREFUSED",
  "connect",
  "syntax",
  "wgs_t_",
  "\\x"
]

const expectSafe = (error: RepositoryError, secrets: ReadonlyArray<string>) => {
  expect(error._tag).toBe("RepositoryError")
  for (const marker of [...leakMarkers, ...secrets]) expect(error.message).not.toContain(marker)
}

describe("error messages", () => {
  it.effect("a unique violation is Conflict with a fixed message", () =>
    Effect.gen(function* () {
      const repo = yield* SessionRepository
      const first = yield* sessionFor("alice")
      yield* repo.createSession(
        new CreateSession({ session: first, refreshTokenHash: hashOf("dup"), context: SessionContext.empty })
      )
      const second = yield* sessionFor("bob")
      const error = yield* Effect.flip(
        repo.createSession(
          new CreateSession({ session: second, refreshTokenHash: hashOf("dup"), context: SessionContext.empty })
        )
      )
      expect(error.reason).toBe("Conflict")
      expectSafe(error, [hashOf("dup"), second.sessionId])
    }).pipe(Effect.provide(isolatedRepository()))
  )

  it.effect("every operation on a broken schema is Backend with a fixed message", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const schema = yield* PgTestSchema
      const repo = yield* SessionRepository
      const session = yield* sessionFor("alice")
      const hash = hashOf("broken")
      yield* repo.createSession(new CreateSession({ session, refreshTokenHash: hash, context: SessionContext.empty }))
      // Break every table: each statement now fails inside PostgreSQL.
      for (const table of ["leases", "refresh_tokens", "sessions", "families"]) {
        yield* sql`ALTER TABLE ${sql(`${schema}.${table}`)} RENAME TO ${sql(`${table}_gone`)}`
      }
      const lease = Lease.fromTtl({
        leaseId: yield* Lease.makeLeaseId,
        sessionId: session.sessionId,
        acquiredAt: t0,
        ttl: Lease.LeaseTtl.make(Duration.seconds(30))
      })
      const failures = yield* Effect.all([
        Effect.flip(repo.findSessionByRefreshTokenHash(hash)),
        Effect.flip(repo.findSession(session.sessionId)),
        Effect.flip(repo.findFamily(session.familyId)),
        Effect.flip(repo.findRefreshRecord(session.sessionId)),
        Effect.flip(repo.tryAcquireRenewalLease(lease)),
        Effect.flip(
          repo.rotateRefreshToken(
            new RotateRefreshToken({
              sessionId: session.sessionId,
              familyId: session.familyId,
              leaseId: lease.leaseId,
              previousHash: hash,
              nextHash: hashOf("next"),
              nextSession: session,
              now: t0
            })
          )
        ),
        Effect.flip(repo.revokeSession(RevokeSessionScope.CurrentSession({ sessionId: session.sessionId }))),
        Effect.flip(repo.revokeFamily(session.familyId)),
        Effect.flip(repo.touchSession(new Session.SessionTouch({ sessionId: session.sessionId, lastSeenAt: t0 }))),
        Effect.flip(repo.listSessions(session.subjectId, t0)),
        Effect.flip(repo.revokeSubject(session.subjectId)),
        Effect.flip(repo.purgeExpired(t0, Duration.zero)),
        Effect.flip(
          repo.createSession(
            new CreateSession({
              session: yield* sessionFor("bob"),
              refreshTokenHash: hash,
              context: SessionContext.empty
            })
          )
        )
      ])
      for (const error of failures) {
        expect(error.reason).toBe("Backend")
        expect(error.message).toMatch(/^The session store failed during [a-zA-Z]+$/)
        expectSafe(error, [hash, session.sessionId, session.familyId, schema])
      }
    }).pipe(
      // A schema of its own: this one is left broken, so it must not go back to the shared ones.
      Effect.provide(freshRepositoryOnClient().pipe(Layer.provideMerge(pgClientLayer())))
    )
  )
})

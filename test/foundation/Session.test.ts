import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Either, Equal, FastCheck, Option, Schema, TestClock } from "effect"
import * as Session from "../../src/Session.js"

const t0 = DateTime.unsafeMake("2025-03-01T12:00:00.000Z")
const at = (millis: number) => DateTime.add(t0, { millis })

const sessionId = Session.SessionId.make("0195a0c0-0000-7000-8000-000000000001")
const familyId = Session.SessionFamilyId.make("0195a0c0-0000-7000-8000-000000000002")
const subject = Session.SubjectId.make("user-42")

const makeSession = (overrides: Partial<ConstructorParameters<typeof Session.Session>[0]> = {}) =>
  new Session.Session({
    sessionId,
    familyId,
    subjectId: subject,
    createdAt: t0,
    expiresAt: at(60_000),
    lastSeenAt: Option.none(),
    revoked: false,
    ...overrides
  })

const makeLookup = (
  parts: { sessionRevoked?: boolean; familyRevoked?: boolean; recordRevoked?: boolean; recordExpiresAt?: number } = {}
) =>
  new Session.SessionLookup({
    session: makeSession({ revoked: parts.sessionRevoked ?? false }),
    family: new Session.SessionFamily({
      familyId,
      subjectId: subject,
      createdAt: t0,
      revoked: parts.familyRevoked ?? false
    }),
    refreshRecord: new Session.SessionRefreshRecord({
      sessionId,
      familyId,
      expiresAt: at(parts.recordExpiresAt ?? 60_000),
      revoked: parts.recordRevoked ?? false
    })
  })

// The first 48 bits of a UUIDv7 are its Unix timestamp in milliseconds.
const uuidV7Millis = (uuid: string) => Number.parseInt(uuid.replaceAll("-", "").slice(0, 12), 16)

describe("ids", () => {
  it("SessionId and SessionFamilyId accept UUIDs and reject anything else", () => {
    expect(Schema.is(Session.SessionId)("0195a0c0-0000-7000-8000-000000000001")).toBe(true)
    expect(Schema.is(Session.SessionId)("not-a-uuid")).toBe(false)
    expect(Schema.is(Session.SessionFamilyId)("")).toBe(false)
    expect(Either.isLeft(Schema.decodeUnknownEither(Session.SessionId)(42))).toBe(true)
  })

  it.effect("makeSessionId is a UUIDv7 stamped with the Clock's time", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(DateTime.toEpochMillis(t0))
      const id = yield* Session.makeSessionId
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(uuidV7Millis(id)).toBe(DateTime.toEpochMillis(t0))

      yield* TestClock.adjust(Duration.seconds(5))
      const later = yield* Session.makeSessionFamilyId
      expect(uuidV7Millis(later)).toBe(DateTime.toEpochMillis(t0) + 5_000)
    })
  )

  it.effect("ids made in the same millisecond are still distinct", () =>
    Effect.gen(function* () {
      const ids = yield* Effect.replicateEffect(Session.makeSessionId, 1_000)
      expect(new Set(ids).size).toBe(1_000)
    })
  )
})

describe("subjectId", () => {
  it("accepts ordinary identifiers up to 255 characters", () => {
    expect(Either.getOrThrow(Session.subjectId("user-42"))).toBe("user-42")
    expect(Either.isRight(Session.subjectId("x".repeat(Session.maxSubjectIdLength)))).toBe(true)
    expect(Either.isRight(Session.subjectId("名前 with spaces"))).toBe(true)
  })

  it.each([
    ["empty", "", "must not be empty"],
    ["256 characters", "x".repeat(256), "at most 255"],
    ["NUL", "user\u0000", "control characters"],
    ["newline", "user\nadmin", "control characters"],
    ["DEL", "user\u007f", "control characters"],
    ["C1 control", "user\u0085", "control characters"]
  ])("rejects %s with InvalidState and does not echo the value", (_, raw, problem) => {
    const result = Session.subjectId(raw)
    expect(Either.isLeft(result)).toBe(true)
    const error = Either.getLeft(result).pipe(Option.getOrThrow)
    expect(error._tag).toBe("RepositoryError")
    expect(error.reason).toBe("InvalidState")
    expect(error.message).toContain(problem)
    if (raw.length > 0) expect(error.message).not.toContain(raw)
  })

  it.prop("the SubjectId schema and subjectId agree", [FastCheck.string({ maxLength: 300 })], ([raw]) => {
    expect(Schema.is(Session.SubjectId)(raw)).toBe(Either.isRight(Session.subjectId(raw)))
  })
})

describe("expiry and activity", () => {
  it("a session is expired exactly when expiresAt <= now", () => {
    const session = makeSession({ expiresAt: at(1_000) })
    expect(Session.isExpiredAt(session, at(999))).toBe(false)
    expect(Session.isExpiredAt(session, at(1_000))).toBe(true)
    expect(Session.isExpiredAt(session, at(1_001))).toBe(true)
    expect(Session.isExpiredAt(at(1_000))(session)).toBe(true)
  })

  it("a session is active up to but not including expiresAt", () => {
    const session = makeSession({ expiresAt: at(1_000) })
    expect(Session.isActiveAt(session, at(999))).toBe(true)
    expect(Session.isActiveAt(session, at(1_000))).toBe(false)
    expect(Session.isActiveAt(at(999))(session)).toBe(true)
  })

  it("a revoked session is never active", () => {
    const session = makeSession({ expiresAt: at(1_000), revoked: true })
    expect(Session.isActiveAt(session, at(0))).toBe(false)
    expect(Session.isExpiredAt(session, at(0))).toBe(false)
  })

  it.prop(
    "active iff not revoked and not expired",
    [
      FastCheck.integer({ min: -5_000, max: 5_000 }),
      FastCheck.integer({ min: -5_000, max: 5_000 }),
      FastCheck.boolean()
    ],
    ([expiresAt, now, revoked]) => {
      const session = makeSession({ expiresAt: at(expiresAt), revoked })
      expect(Session.isActiveAt(session, at(now))).toBe(!revoked && !Session.isExpiredAt(session, at(now)))
      expect(Session.isExpiredAt(session, at(now))).toBe(expiresAt <= now)
    }
  )

  it("a lookup is active only when session, family and refresh record all are", () => {
    const now = at(0)
    expect(Session.isLookupActiveAt(makeLookup(), now)).toBe(true)
    expect(Session.isLookupActiveAt(makeLookup({ sessionRevoked: true }), now)).toBe(false)
    expect(Session.isLookupActiveAt(makeLookup({ familyRevoked: true }), now)).toBe(false)
    expect(Session.isLookupActiveAt(makeLookup({ recordRevoked: true }), now)).toBe(false)
    expect(Session.isLookupActiveAt(makeLookup({ recordExpiresAt: 0 }), now)).toBe(false)
    expect(Session.isLookupActiveAt(makeLookup({ recordExpiresAt: 1 }), now)).toBe(true)
    expect(Session.isLookupActiveAt(now)(makeLookup())).toBe(true)
    // The session itself expires at +60s.
    expect(Session.isLookupActiveAt(makeLookup({ recordExpiresAt: 120_000 }), at(60_000))).toBe(false)
  })
})

describe("transformations", () => {
  it("touched sets lastSeenAt and leaves the original alone", () => {
    const session = makeSession()
    const seen = Session.touched(session, at(5_000))
    expect(Option.map(seen.lastSeenAt, DateTime.toEpochMillis)).toEqual(Option.some(DateTime.toEpochMillis(at(5_000))))
    expect(Option.isNone(session.lastSeenAt)).toBe(true)
    expect(seen.sessionId).toBe(session.sessionId)
    expect(Session.touched(at(7_000))(seen).lastSeenAt).toEqual(Option.some(at(7_000)))
  })

  it("revoked marks the session revoked and is idempotent", () => {
    const session = makeSession()
    const once = Session.revoked(session)
    expect(once.revoked).toBe(true)
    expect(session.revoked).toBe(false)
    expect(Session.revoked(once)).toBe(once)
  })
})

describe("Schema round-trips", () => {
  const roundTrip = <A, I>(schema: Schema.Schema<A, I>, value: A) => {
    const encoded = Schema.encodeSync(schema)(value)
    const decoded = Schema.decodeUnknownSync(schema)(JSON.parse(JSON.stringify(encoded)))
    expect(Equal.equals(decoded, value)).toBe(true)
    return encoded
  }

  it("Session encodes to plain JSON and decodes back", () => {
    const encoded = roundTrip(Session.Session, makeSession())
    expect(encoded).toEqual({
      sessionId,
      familyId,
      subjectId: "user-42",
      createdAt: "2025-03-01T12:00:00.000Z",
      expiresAt: "2025-03-01T12:01:00.000Z",
      lastSeenAt: null,
      revoked: false
    })
    const seen = roundTrip(Session.Session, Session.touched(makeSession(), at(1)))
    expect(seen.lastSeenAt).toBe("2025-03-01T12:00:00.001Z")
  })

  it("families, refresh records, lookups and touches round-trip", () => {
    const lookup = makeLookup({ familyRevoked: true })
    roundTrip(Session.SessionLookup, lookup)
    roundTrip(Session.SessionFamily, lookup.family)
    roundTrip(Session.SessionRefreshRecord, lookup.refreshRecord)
    roundTrip(Session.SessionTouch, new Session.SessionTouch({ sessionId, lastSeenAt: at(3) }))
  })

  it.prop("every Session round-trips", [Session.Session], ([session]) => {
    roundTrip(Session.Session, session)
  })

  it("decoding rejects a malformed session", () => {
    const good = Schema.encodeSync(Session.Session)(makeSession())
    const decode = Schema.decodeUnknownEither(Session.Session)
    expect(Either.isRight(decode(good))).toBe(true)
    expect(Either.isLeft(decode({ ...good, sessionId: "nope" }))).toBe(true)
    expect(Either.isLeft(decode({ ...good, subjectId: "" }))).toBe(true)
    expect(Either.isLeft(decode({ ...good, subjectId: "a\u0000b" }))).toBe(true)
    expect(Either.isLeft(decode({ ...good, expiresAt: "yesterday" }))).toBe(true)
    expect(Either.isLeft(decode({ ...good, revoked: "false" }))).toBe(true)
  })
})

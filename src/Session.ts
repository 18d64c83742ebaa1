/**
 * The session model: identifiers, sessions, families, refresh records and the pure predicates over them.
 *
 * A session is one login on one client. Its `sessionId` stays the same across refresh-token rotations;
 * its `familyId` groups every rotation that descends from that login, so a detected replay can revoke the
 * whole lineage at once. Nothing here reads the clock: every predicate takes `now`.
 *
 * @since 0.1.0
 */
import { Clock, DateTime, Effect, Either, Option, Schema } from "effect"
import { dual } from "effect/Function"
import { v7 as uuidv7 } from "uuid"
import { RepositoryError } from "./SessionErrors.js"

/**
 * A session identifier: a UUIDv7, stable across rotations.
 *
 * @since 0.1.0
 * @category ids
 */
export const SessionId = Schema.UUID.pipe(Schema.brand("SessionId"))

/**
 * @since 0.1.0
 * @category ids
 */
export type SessionId = typeof SessionId.Type

/**
 * A session-family identifier: a UUIDv7 shared by every session and rotation descending from one login.
 *
 * @since 0.1.0
 * @category ids
 */
export const SessionFamilyId = Schema.UUID.pipe(Schema.brand("SessionFamilyId"))

/**
 * @since 0.1.0
 * @category ids
 */
export type SessionFamilyId = typeof SessionFamilyId.Type

// C0 and C1 control characters, DEL included: they have no place in an identifier and break logs.
const controlCharacter = /\p{Cc}/u

/**
 * The maximum length of a subject id, in UTF-16 code units.
 *
 * @since 0.1.0
 * @category ids
 */
export const maxSubjectIdLength = 255

/**
 * The authenticated principal a session belongs to: non-empty, at most 255 characters, no control
 * characters (NUL included).
 *
 * @since 0.1.0
 * @category ids
 */
export const SubjectId = Schema.String.pipe(
  Schema.filter((s) => subjectIdProblem(s) ?? true),
  Schema.brand("SubjectId")
)

function subjectIdProblem(s: string): string | undefined {
  if (s.length === 0) return "a subject id must not be empty"
  if (s.length > maxSubjectIdLength) return `a subject id must be at most ${maxSubjectIdLength} characters`
  if (controlCharacter.test(s)) return "a subject id must not contain control characters"
  return undefined
}

/**
 * @since 0.1.0
 * @category ids
 */
export type SubjectId = typeof SubjectId.Type

/**
 * Validates a subject id, failing with a `RepositoryError` of reason `InvalidState` whose message says
 * which rule was broken (the offending value is not echoed).
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import { Session } from "webgates-sessions"
 *
 * Either.isRight(Session.subjectId("user-42")) // true
 * Either.isLeft(Session.subjectId("")) // true
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const subjectId = (raw: string): Either.Either<SubjectId, RepositoryError> => {
  const problem = subjectIdProblem(raw)
  return problem === undefined
    ? Either.right(SubjectId.make(raw, { disableValidation: true }))
    : Either.left(new RepositoryError({ reason: "InvalidState", message: `Invalid subject id: ${problem}` }))
}

/**
 * A new UUIDv7 session id whose timestamp comes from Effect's `Clock`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSessionId: Effect.Effect<SessionId> = Effect.map(Clock.currentTimeMillis, (msecs) =>
  SessionId.make(uuidv7({ msecs }))
)

/**
 * A new UUIDv7 family id whose timestamp comes from Effect's `Clock`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSessionFamilyId: Effect.Effect<SessionFamilyId> = Effect.map(Clock.currentTimeMillis, (msecs) =>
  SessionFamilyId.make(uuidv7({ msecs }))
)

/**
 * One login on one client.
 *
 * Active at `now` iff not revoked and `expiresAt > now`; expired iff `expiresAt <= now`.
 *
 * @since 0.1.0
 * @category models
 */
export class Session extends Schema.Class<Session>("Session")({
  sessionId: SessionId,
  familyId: SessionFamilyId,
  subjectId: SubjectId,
  createdAt: Schema.DateTimeUtc,
  expiresAt: Schema.DateTimeUtc,
  lastSeenAt: Schema.OptionFromNullOr(Schema.DateTimeUtc),
  revoked: Schema.Boolean
}) {}

/**
 * Every session and rotation descending from one login. Revoking the family revokes them all.
 *
 * @since 0.1.0
 * @category models
 */
export class SessionFamily extends Schema.Class<SessionFamily>("SessionFamily")({
  familyId: SessionFamilyId,
  subjectId: SubjectId,
  createdAt: Schema.DateTimeUtc,
  revoked: Schema.Boolean
}) {}

/**
 * The state of a session's current refresh token (its hash is the lookup key and is held by the repository).
 *
 * @since 0.1.0
 * @category models
 */
export class SessionRefreshRecord extends Schema.Class<SessionRefreshRecord>("SessionRefreshRecord")({
  sessionId: SessionId,
  familyId: SessionFamilyId,
  expiresAt: Schema.DateTimeUtc,
  revoked: Schema.Boolean
}) {}

/**
 * A session together with its family and current refresh record, as found by refresh-token hash.
 *
 * @since 0.1.0
 * @category models
 */
export class SessionLookup extends Schema.Class<SessionLookup>("SessionLookup")({
  session: Session,
  family: SessionFamily,
  refreshRecord: SessionRefreshRecord
}) {}

/**
 * A record that a session was seen at a moment.
 *
 * @since 0.1.0
 * @category models
 */
export class SessionTouch extends Schema.Class<SessionTouch>("SessionTouch")({
  sessionId: SessionId,
  lastSeenAt: Schema.DateTimeUtc
}) {}

/**
 * Whether a session is expired at `now`: `expiresAt <= now`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isExpiredAt: {
  (now: DateTime.Utc): (self: { readonly expiresAt: DateTime.Utc }) => boolean
  (self: { readonly expiresAt: DateTime.Utc }, now: DateTime.Utc): boolean
} = dual(2, (self: { readonly expiresAt: DateTime.Utc }, now: DateTime.Utc): boolean =>
  DateTime.lessThanOrEqualTo(self.expiresAt, now)
)

/**
 * Whether a session, family-less refresh record or similar record is active at `now`: not revoked and
 * `expiresAt > now`.
 *
 * @example
 * ```ts
 * import { DateTime } from "effect"
 * import { Session } from "webgates-sessions"
 *
 * declare const session: Session.Session
 * Session.isActiveAt(session, DateTime.unsafeMake(session.expiresAt)) // false: expiry is exclusive
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isActiveAt: {
  (now: DateTime.Utc): (self: { readonly expiresAt: DateTime.Utc; readonly revoked: boolean }) => boolean
  (self: { readonly expiresAt: DateTime.Utc; readonly revoked: boolean }, now: DateTime.Utc): boolean
} = dual(
  2,
  (self: { readonly expiresAt: DateTime.Utc; readonly revoked: boolean }, now: DateTime.Utc): boolean =>
    !self.revoked && DateTime.greaterThan(self.expiresAt, now)
)

/**
 * Whether a lookup is active at `now`: the session, its refresh record and its family all are.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isLookupActiveAt: {
  (now: DateTime.Utc): (self: SessionLookup) => boolean
  (self: SessionLookup, now: DateTime.Utc): boolean
} = dual(
  2,
  (self: SessionLookup, now: DateTime.Utc): boolean =>
    !self.family.revoked && isActiveAt(self.session, now) && isActiveAt(self.refreshRecord, now)
)

/**
 * The session with `lastSeenAt` set to `now`.
 *
 * @since 0.1.0
 * @category transformations
 */
export const touched: {
  (now: DateTime.Utc): (self: Session) => Session
  (self: Session, now: DateTime.Utc): Session
} = dual(2, (self: Session, now: DateTime.Utc): Session => new Session({ ...self, lastSeenAt: Option.some(now) }))

/**
 * The session marked revoked.
 *
 * @since 0.1.0
 * @category transformations
 */
export const revoked = (self: Session): Session => (self.revoked ? self : new Session({ ...self, revoked: true }))

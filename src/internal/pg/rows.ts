/**
 * Row shapes as the `pg` driver returns them (uuid and text as strings, `timestamptz` as `Date`, `json`
 * parsed) and their decoding into the session model. Decoding validates every value, so a row written
 * by hand or by a newer version fails as a typed error instead of leaking a malformed model.
 *
 * @since 0.1.0
 */
import { DateTime, Effect, Option, Schema } from "effect"
import { LeaseId } from "../../Lease.js"
import * as Session from "../../Session.js"
import { SessionContext } from "../../SessionContext.js"
import type { RepositoryError } from "../../SessionErrors.js"
import { invalidInput, type Operation, storedDataError } from "./errors.js"

const Timestamp = Schema.DateTimeUtcFromDate

/**
 * The columns that make a `Session` (the subject comes from the family).
 *
 * @since 0.1.0
 * @category internal
 */
export const SessionRow = Schema.Struct({
  session_id: Session.SessionId,
  family_id: Session.SessionFamilyId,
  subject_id: Session.SubjectId,
  created_at: Timestamp,
  expires_at: Timestamp,
  last_seen_at: Schema.NullOr(Timestamp),
  revoked: Schema.Boolean,
  refresh_revoked: Schema.Boolean
})

/**
 * @since 0.1.0
 * @category internal
 */
export type SessionRow = typeof SessionRow.Type

/**
 * The columns that make a `SessionFamily`, prefixed so they can sit next to a session's.
 *
 * @since 0.1.0
 * @category internal
 */
export const FamilyRow = Schema.Struct({
  family_id: Session.SessionFamilyId,
  subject_id: Session.SubjectId,
  family_created_at: Timestamp,
  family_revoked: Schema.Boolean
})

/**
 * A refresh-token hash lookup: the token's state, its session and family.
 *
 * @since 0.1.0
 * @category internal
 */
export const TokenMatchRow = Schema.Struct({
  ...SessionRow.fields,
  ...FamilyRow.fields,
  retired_at: Schema.NullOr(Timestamp),
  direct_predecessor: Schema.Boolean
})

/**
 * A session with its stored context, as listed for a subject.
 *
 * @since 0.1.0
 * @category internal
 */
export const ListedRow = Schema.Struct({
  ...SessionRow.fields,
  context: Schema.Unknown
})

/**
 * A lease row.
 *
 * @since 0.1.0
 * @category internal
 */
export const LeaseRow = Schema.Struct({
  lease_id: LeaseId,
  acquired_at: Timestamp,
  held_until: Timestamp,
  granted: Schema.Boolean
})

const noValidation = { disableValidation: true } as const

/**
 * Decodes driver rows with `schema`; any mismatch is a `Backend` error whose message names only the
 * operation (a parse error would quote stored values).
 *
 * @since 0.1.0
 * @category internal
 */
export const decodeRows =
  <A, I>(schema: Schema.Schema<A, I>, operation: Operation) =>
  (rows: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<A>, RepositoryError> =>
    Effect.mapError(Schema.decodeUnknown(Schema.Array(schema))(rows), () => storedDataError(operation))

/**
 * The first row decoded, if there is one.
 *
 * @since 0.1.0
 * @category internal
 */
export const decodeFirst =
  <A, I>(schema: Schema.Schema<A, I>, operation: Operation) =>
  (rows: ReadonlyArray<unknown>): Effect.Effect<Option.Option<A>, RepositoryError> =>
    rows.length === 0
      ? Effect.succeedNone
      : Effect.mapError(Schema.decodeUnknown(schema)(rows[0]), () => storedDataError(operation)).pipe(
          Effect.map(Option.some)
        )

/**
 * @since 0.1.0
 * @category internal
 */
export const toSession = (row: SessionRow): Session.Session =>
  new Session.Session(
    {
      sessionId: row.session_id,
      familyId: row.family_id,
      subjectId: row.subject_id,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      lastSeenAt: Option.fromNullable(row.last_seen_at),
      revoked: row.revoked
    },
    noValidation
  )

/**
 * @since 0.1.0
 * @category internal
 */
export const toFamily = (row: typeof FamilyRow.Type): Session.SessionFamily =>
  new Session.SessionFamily(
    {
      familyId: row.family_id,
      subjectId: row.subject_id,
      createdAt: row.family_created_at,
      revoked: row.family_revoked
    },
    noValidation
  )

/**
 * The state of a session's current refresh token: it expires with the session and is revoked on its own
 * flag, which every revocation sets together with the session's.
 *
 * @since 0.1.0
 * @category internal
 */
export const toRefreshRecord = (row: SessionRow): Session.SessionRefreshRecord =>
  new Session.SessionRefreshRecord(
    {
      sessionId: row.session_id,
      familyId: row.family_id,
      expiresAt: row.expires_at,
      revoked: row.refresh_revoked
    },
    noValidation
  )

/**
 * Decodes a stored context (the JSON of its encoded form).
 *
 * @since 0.1.0
 * @category internal
 */
export const decodeContext = (raw: unknown, operation: Operation): Effect.Effect<SessionContext, RepositoryError> =>
  Effect.mapError(Schema.decodeUnknown(SessionContext)(raw), () => storedDataError(operation))

/**
 * The JSON text stored for a context.
 *
 * @since 0.1.0
 * @category internal
 */
export const encodeContext = (context: SessionContext): Effect.Effect<string, RepositoryError> =>
  Effect.map(
    Effect.mapError(Schema.encode(SessionContext)(context), () => invalidInput("The session context is malformed")),
    (encoded) => JSON.stringify(encoded)
  )

/**
 * A `DateTime.Utc` as the `Date` the driver sends as a `timestamptz` parameter.
 *
 * @since 0.1.0
 * @category internal
 */
export const toDate = (dateTime: DateTime.Utc): Date => DateTime.toDateUtc(dateTime)

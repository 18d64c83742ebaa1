/**
 * Turning driver failures into `RepositoryError`s with fixed, safe messages, and checking input before
 * it reaches SQL.
 *
 * A driver error can quote the statement, a parameter or a conflicting key (a token hash), so none of
 * its text is kept: the caller sees a fixed message naming the operation, and the current span gets the
 * SQLSTATE code, which carries no data.
 *
 * @since 0.1.0
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Either } from "effect"
import * as Session from "../../Session.js"
import { RepositoryError } from "../../SessionErrors.js"

/** The repository operations, as named in error messages. */
export type Operation =
  | "bootstrap"
  | "createSession"
  | "findSessionByRefreshTokenHash"
  | "findSession"
  | "findFamily"
  | "findRefreshRecord"
  | "tryAcquireRenewalLease"
  | "rotateRefreshToken"
  | "revokeSession"
  | "revokeFamily"
  | "touchSession"
  | "listSessions"
  | "revokeSubject"
  | "purgeExpired"

const causeField = (error: SqlError, field: "code" | "constraint"): string | undefined => {
  const cause: unknown = error.cause
  if (typeof cause === "object" && cause !== null && field in cause) {
    const value: unknown = Reflect.get(cause, field)
    return typeof value === "string" ? value : undefined
  }
  return undefined
}

/** The constraint a driver error names, if any: a name from the migrations, never data. */
export const violatedConstraint = (error: SqlError): string => causeField(error, "constraint") ?? ""

/** The `Backend` error of an operation, with its fixed message. */
export const backendError = (operation: Operation): RepositoryError =>
  new RepositoryError({ reason: "Backend", message: `The session store failed during ${operation}` })

/** The error for a stored row that does not decode (a parse error would quote the stored values). */
export const storedDataError = (operation: Operation): RepositoryError =>
  new RepositoryError({ reason: "Backend", message: `The session store returned unreadable data during ${operation}` })

/** An `InvalidState` error for input refused before any SQL. */
export const invalidInput = (message: string): RepositoryError =>
  new RepositoryError({ reason: "InvalidState", message })

/** Maps every `SqlError` of `self` to the operation's `Backend` error; `onUnique` may claim unique violations. */
export const mapSqlError =
  (operation: Operation, onUnique?: (error: SqlError) => RepositoryError) =>
  <A, R>(self: Effect.Effect<A, SqlError | RepositoryError, R>): Effect.Effect<A, RepositoryError, R> =>
    Effect.catchTag(self, "SqlError", (error) => {
      const state = causeField(error, "code")
      const annotate = state === undefined ? Effect.void : Effect.annotateCurrentSpan("db.response.status_code", state)
      const mapped = onUnique !== undefined && state === "23505" ? onUnique(error) : backendError(operation)
      return Effect.zipRight(annotate, Effect.fail(mapped))
    })

// A lone UTF-16 surrogate cannot be encoded as UTF-8: the driver would store U+FFFD instead, and the
// id would no longer be found as given.
const loneSurrogate = /\p{Cs}/u

/** `Session.subjectId` plus well-formed Unicode, checked before any SQL runs. */
export const checkSubjectId = (raw: string): Either.Either<Session.SubjectId, RepositoryError> =>
  Either.flatMap(Session.subjectId(raw), (subject) =>
    loneSurrogate.test(subject)
      ? Either.left(invalidInput("Invalid subject id: a subject id must be well-formed Unicode"))
      : Either.right(subject)
  )

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const hashPattern = /^[0-9a-f]{64}$/

/**
 * Whether an id is a UUID PostgreSQL accepts. Ids are branded, so this fails only for values forced
 * past the brand; such an id cannot be stored, so lookups treat it as not found instead of sending it.
 */
export const isUuid = (id: string): boolean => uuidPattern.test(id)

/** Whether a hash has the stored form: 64 lowercase hex characters. */
export const isHash = (hash: string): boolean => hashPattern.test(hash)

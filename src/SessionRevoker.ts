/**
 * Sign-out and device management: revoke one session or a whole family, revoke everything a subject
 * holds, and list a subject's active sessions with the context they were started in.
 *
 * @since 0.1.0
 */
import { Context, DateTime, Effect, Layer, Metric } from "effect"
import * as Logout from "./Logout.js"
import * as Session from "./Session.js"
import { type RepositoryError, RevocationError } from "./SessionErrors.js"
import { type ListedSession, RevokeSessionScope, SessionRepository } from "./SessionRepository.js"
import { outcomeCounters, workflowSpan } from "./internal/observability.js"

/**
 * Counts revocations by outcome: `CurrentSessionRevoked`, `SessionFamilyRevoked`, `SubjectRevoked` or
 * `Failed`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const revocationOutcomes = Metric.counter("sessions_revocation_outcomes_total", {
  description: "Session revocations by outcome",
  incremental: true
})

const revocationCounter = outcomeCounters(revocationOutcomes)

/**
 * The revoker's operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionRevokerService {
  /**
   * Revokes the session (`CurrentSession`) or its whole family (`SessionFamily`). Idempotent; an unknown
   * session or family is a `RevocationError` with reason `SessionNotFound` or `SessionFamilyNotFound`.
   */
  readonly revoke: (request: Logout.LogoutRequest) => Effect.Effect<Logout.LogoutOutcome, RevocationError>
  /**
   * Revokes every family of a subject ("sign out everywhere"); returns how many families were newly
   * revoked. An invalid subject id is a `RevocationError` with reason `Failed`.
   */
  readonly revokeSubject: (subjectId: string) => Effect.Effect<number, RevocationError>
  /** A subject's sessions active now, oldest first, with their context. */
  readonly listSessions: (subjectId: string) => Effect.Effect<ReadonlyArray<ListedSession>, RepositoryError>
}

/**
 * Revokes sessions and lists them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Logout, SessionRevoker } from "webgates-sessions"
 *
 * const signOutEverywhere = (subjectId: string) =>
 *   Effect.gen(function* () {
 *     const revoker = yield* SessionRevoker.SessionRevoker
 *     const devices = yield* revoker.listSessions(subjectId)
 *     yield* revoker.revokeSubject(subjectId)
 *     return devices.length
 *   })
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class SessionRevoker extends Context.Tag("webgates-sessions/SessionRevoker")<
  SessionRevoker,
  SessionRevokerService
>() {}

const toRevocationError = (error: RepositoryError): RevocationError => {
  switch (error.reason) {
    case "SessionNotFound":
    case "SessionFamilyNotFound":
      return new RevocationError({ reason: error.reason, message: error.message })
    default:
      return new RevocationError({ reason: "Failed", message: error.message })
  }
}

const counted = <A, R>(
  name: string,
  outcomeOf: (a: A) => string,
  attributes: Record<string, unknown>,
  self: Effect.Effect<A, RevocationError, R>
): Effect.Effect<A, RevocationError, R> =>
  self.pipe(
    Effect.tap((a) => {
      const outcome = outcomeOf(a)
      return Effect.annotateCurrentSpan("outcome", outcome).pipe(
        Effect.zipRight(Metric.increment(revocationCounter(outcome))),
        Effect.zipRight(Effect.logInfo("sessions revoked").pipe(Effect.annotateLogs({ ...attributes, outcome })))
      )
    }),
    Effect.tapError((error) =>
      Effect.zipRight(
        Metric.increment(revocationCounter("Failed")),
        Effect.logWarning("session revocation failed").pipe(
          Effect.annotateLogs({ ...attributes, outcome: "Failed", reason: error.reason })
        )
      )
    ),
    workflowSpan(name, attributes)
  )

/**
 * Builds the revoker.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<SessionRevokerService, never, SessionRepository> = Effect.gen(function* () {
  const repository = yield* SessionRepository

  const revoke = (request: Logout.LogoutRequest): Effect.Effect<Logout.LogoutOutcome, RevocationError> => {
    const scoped: Effect.Effect<Logout.LogoutOutcome, RepositoryError> =
      request.scope === "CurrentSession"
        ? Effect.as(
            repository.revokeSession(RevokeSessionScope.CurrentSession({ sessionId: request.sessionId })),
            Logout.LogoutOutcome.CurrentSessionRevoked({ sessionId: request.sessionId })
          )
        : Effect.as(
            repository.revokeSession(RevokeSessionScope.SessionFamily({ familyId: request.familyId })),
            Logout.LogoutOutcome.SessionFamilyRevoked({ familyId: request.familyId })
          )
    return counted(
      "sessions.revoke",
      (outcome) => outcome._tag,
      { sessionId: request.sessionId, familyId: request.familyId, scope: request.scope },
      Effect.mapError(scoped, toRevocationError)
    )
  }

  const revokeSubject = (rawSubjectId: string) =>
    counted(
      "sessions.revokeSubject",
      () => "SubjectRevoked",
      {},
      Effect.flatMap(Session.subjectId(rawSubjectId), repository.revokeSubject).pipe(
        Effect.tap((families) => Effect.annotateCurrentSpan("families", families)),
        Effect.mapError(toRevocationError)
      )
    )

  const listSessions = (rawSubjectId: string) =>
    Effect.gen(function* () {
      const subjectId = yield* Session.subjectId(rawSubjectId)
      const now = yield* DateTime.now
      const listed = yield* repository.listSessions(subjectId, now)
      yield* Effect.annotateCurrentSpan("sessions", listed.length)
      return listed
    }).pipe(workflowSpan("sessions.listSessions"))

  return { revoke, revokeSubject, listSessions }
})

/**
 * The revoker as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SessionRevoker, never, SessionRepository> = Layer.effect(SessionRevoker, make)

/**
 * The storage contract: every read and atomic write the workflows need, behind one `Context.Tag`.
 *
 * `MemorySessionRepository.layer` and `PgSessionRepository.layer` provide it, and one contract suite
 * (`test/contract/`) runs against both. Not-found is `Option.none()`; errors are for backend and state
 * failures and carry safe messages.
 *
 * @since 0.1.0
 */
import { Context, Data, type DateTime, type Duration, Effect, type Option } from "effect"
import type { LeaseAcquisition, LeaseId, RenewalLease } from "./Lease.js"
import type {
  Session,
  SessionFamily,
  SessionFamilyId,
  SessionId,
  SessionLookup,
  SessionRefreshRecord,
  SessionTouch,
  SubjectId
} from "./Session.js"
import type { SessionContext } from "./SessionContext.js"
import type { RepositoryError } from "./SessionErrors.js"
import type { RefreshTokenHash } from "./Tokens.js"

/**
 * Everything needed to persist a new session: the session (its family is created with it when new),
 * the hash of its first refresh token, and the context it was started in.
 *
 * @since 0.1.0
 * @category inputs
 */
export class CreateSession extends Data.Class<{
  readonly session: Session
  readonly refreshTokenHash: RefreshTokenHash
  readonly context: SessionContext
}> {}

/**
 * An atomic rotation: replace `previousHash` by `nextHash` and store `nextSession`, if `leaseId` holds
 * an active lease at `now`.
 *
 * @since 0.1.0
 * @category inputs
 */
export class RotateRefreshToken extends Data.Class<{
  readonly sessionId: SessionId
  readonly familyId: SessionFamilyId
  readonly leaseId: LeaseId
  readonly previousHash: RefreshTokenHash
  readonly nextHash: RefreshTokenHash
  readonly nextSession: Session
  readonly now: DateTime.Utc
}> {}

/**
 * The result of a rotation attempt.
 *
 * @since 0.1.0
 * @category outcomes
 */
export type RotateRefreshTokenOutcome = Data.TaggedEnum<{
  Rotated: { readonly session: Session }
  SessionMissing: {}
  LeaseUnavailable: {}
  RefreshTokenMismatch: {}
}>

/**
 * Constructors and matchers for {@link RotateRefreshTokenOutcome}.
 *
 * @since 0.1.0
 * @category outcomes
 */
export const RotateRefreshTokenOutcome = Data.taggedEnum<RotateRefreshTokenOutcome>()

/**
 * What a refresh-token hash matches: the current token of a session, or a token rotated away from one.
 * `directPredecessor` is true when the retired token is the one the current token replaced.
 *
 * @since 0.1.0
 * @category outcomes
 */
export type RefreshTokenMatch = Data.TaggedEnum<{
  Current: { readonly lookup: SessionLookup }
  Retired: {
    readonly sessionId: SessionId
    readonly familyId: SessionFamilyId
    readonly retiredAt: DateTime.Utc
    readonly directPredecessor: boolean
  }
}>

/**
 * Constructors and matchers for {@link RefreshTokenMatch}.
 *
 * @since 0.1.0
 * @category outcomes
 */
export const RefreshTokenMatch = Data.taggedEnum<RefreshTokenMatch>()

/**
 * Which sessions a revocation covers.
 *
 * @since 0.1.0
 * @category inputs
 */
export type RevokeSessionScope = Data.TaggedEnum<{
  CurrentSession: { readonly sessionId: SessionId }
  SessionFamily: { readonly familyId: SessionFamilyId }
}>

/**
 * Constructors and matchers for {@link RevokeSessionScope}.
 *
 * @since 0.1.0
 * @category inputs
 */
export const RevokeSessionScope = Data.taggedEnum<RevokeSessionScope>()

/**
 * A session with the context it was started in, as listed for its subject.
 *
 * @since 0.1.0
 * @category outcomes
 */
export class ListedSession extends Data.Class<{
  readonly session: Session
  readonly context: SessionContext
}> {}

/**
 * How much `purgeExpired` removed.
 *
 * @since 0.1.0
 * @category outcomes
 */
export class PurgeResult extends Data.Class<{
  readonly sessions: number
  readonly families: number
  readonly retiredTokens: number
}> {}

/**
 * The repository contract.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionRepositoryService {
  /** Prepares storage (tables, migrations); idempotent. */
  readonly bootstrap: Effect.Effect<void, RepositoryError>
  /** Stores a new session with its first refresh-token hash; creates the family if it is new. */
  readonly createSession: (input: CreateSession) => Effect.Effect<void, RepositoryError>
  /** Finds what a refresh-token hash belongs to, current or retired. */
  readonly findSessionByRefreshTokenHash: (
    hash: RefreshTokenHash
  ) => Effect.Effect<Option.Option<RefreshTokenMatch>, RepositoryError>
  readonly findSession: (sessionId: SessionId) => Effect.Effect<Option.Option<Session>, RepositoryError>
  readonly findFamily: (familyId: SessionFamilyId) => Effect.Effect<Option.Option<SessionFamily>, RepositoryError>
  readonly findRefreshRecord: (
    sessionId: SessionId
  ) => Effect.Effect<Option.Option<SessionRefreshRecord>, RepositoryError>
  /** Stores the proposed lease unless another is active at its `acquiredAt`. */
  readonly tryAcquireRenewalLease: (proposal: RenewalLease) => Effect.Effect<LeaseAcquisition, RepositoryError>
  /** Rotates the refresh token under the lease, in one atomic step. */
  readonly rotateRefreshToken: (input: RotateRefreshToken) => Effect.Effect<RotateRefreshTokenOutcome, RepositoryError>
  /** Revokes one session or a whole family; idempotent. */
  readonly revokeSession: (scope: RevokeSessionScope) => Effect.Effect<void, RepositoryError>
  /** Revokes a family and every session in it; `SessionFamilyNotFound` for an unknown family. */
  readonly revokeFamily: (familyId: SessionFamilyId) => Effect.Effect<void, RepositoryError>
  /** Records `lastSeenAt`; `SessionNotFound` for an unknown session. */
  readonly touchSession: (touch: SessionTouch) => Effect.Effect<void, RepositoryError>
  /** A subject's sessions active at `now`, oldest first, with their context. */
  readonly listSessions: (
    subjectId: SubjectId,
    now: DateTime.Utc
  ) => Effect.Effect<ReadonlyArray<ListedSession>, RepositoryError>
  /** Revokes every family of a subject; returns how many families were newly revoked. */
  readonly revokeSubject: (subjectId: SubjectId) => Effect.Effect<number, RepositoryError>
  /** Removes state whose expiry lies more than `retention` before `now`. */
  readonly purgeExpired: (
    now: DateTime.Utc,
    retention: Duration.Duration
  ) => Effect.Effect<PurgeResult, RepositoryError>
}

/**
 * The session storage service.
 *
 * @since 0.1.0
 * @category services
 */
export class SessionRepository extends Context.Tag("webgates-sessions/SessionRepository")<
  SessionRepository,
  SessionRepositoryService
>() {}

const repositorySpan =
  (operation: string, attributes: Record<string, unknown> = {}) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withSpan(self, `sessions.repository.${operation}`, {
      attributes,
      kind: "client",
      // A stack trace per storage call costs more than the call itself on the in-memory backend.
      captureStackTrace: false
    })

const annotateOutcome = <A extends { readonly _tag: string }, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => Effect.tap(self, (outcome) => Effect.annotateCurrentSpan("outcome", outcome._tag))

/**
 * Wraps a repository so that every call runs in a span named `sessions.repository.<operation>`, with
 * the session or family id and, where there is one, the outcome as attributes. Token hashes are never
 * recorded. Every backend applies it in its layer, so traces look the same whatever the storage.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { MemorySessionRepository, SessionRepository } from "webgates-sessions"
 *
 * const layer = Layer.effect(
 *   SessionRepository.SessionRepository,
 *   Effect.map(MemorySessionRepository.make, SessionRepository.traced)
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const traced = (service: SessionRepositoryService): SessionRepositoryService => ({
  bootstrap: repositorySpan("bootstrap")(service.bootstrap),
  createSession: (input) =>
    repositorySpan("createSession", {
      sessionId: input.session.sessionId,
      familyId: input.session.familyId
    })(service.createSession(input)),
  findSessionByRefreshTokenHash: (hash) =>
    repositorySpan("findSessionByRefreshTokenHash")(
      Effect.tap(service.findSessionByRefreshTokenHash(hash), (match) =>
        Effect.annotateCurrentSpan("outcome", match._tag === "Some" ? match.value._tag : "NotFound")
      )
    ),
  findSession: (sessionId) => repositorySpan("findSession", { sessionId })(service.findSession(sessionId)),
  findFamily: (familyId) => repositorySpan("findFamily", { familyId })(service.findFamily(familyId)),
  findRefreshRecord: (sessionId) =>
    repositorySpan("findRefreshRecord", { sessionId })(service.findRefreshRecord(sessionId)),
  tryAcquireRenewalLease: (proposal) =>
    repositorySpan("tryAcquireRenewalLease", { sessionId: proposal.sessionId })(
      annotateOutcome(service.tryAcquireRenewalLease(proposal))
    ),
  rotateRefreshToken: (input) =>
    repositorySpan("rotateRefreshToken", { sessionId: input.sessionId, familyId: input.familyId })(
      annotateOutcome(service.rotateRefreshToken(input))
    ),
  revokeSession: (scope) =>
    repositorySpan(
      "revokeSession",
      scope._tag === "CurrentSession"
        ? { scope: scope._tag, sessionId: scope.sessionId }
        : { scope: scope._tag, familyId: scope.familyId }
    )(service.revokeSession(scope)),
  revokeFamily: (familyId) => repositorySpan("revokeFamily", { familyId })(service.revokeFamily(familyId)),
  touchSession: (touch) => repositorySpan("touchSession", { sessionId: touch.sessionId })(service.touchSession(touch)),
  listSessions: (subjectId, now) => repositorySpan("listSessions")(service.listSessions(subjectId, now)),
  revokeSubject: (subjectId) =>
    repositorySpan("revokeSubject")(
      Effect.tap(service.revokeSubject(subjectId), (families) => Effect.annotateCurrentSpan("families", families))
    ),
  purgeExpired: (now, retention) =>
    repositorySpan("purgeExpired")(
      Effect.tap(service.purgeExpired(now, retention), (result) =>
        Effect.annotateCurrentSpan({
          sessions: result.sessions,
          families: result.families,
          retiredTokens: result.retiredTokens
        })
      )
    )
})

/**
 * The in-memory session repository: the embedded default, for single-node authorities, development and
 * tests.
 *
 * Every operation is one synchronous block over plain `Map`s. JavaScript runs a synchronous block to
 * completion and Effect fibers only switch between effects, so each operation is one atomic step even
 * when many fibers call it at once: no lock is needed and none is taken.
 *
 * The repository never reads the clock. Every moment it needs (a lease's `acquiredAt`, a rotation's
 * `now`, a purge's `now`) comes in as an argument, so `TestClock` drives it through the workflows.
 *
 * State lives in the process: it is lost on restart and not shared between processes. Use
 * `PgSessionRepository` when either matters.
 *
 * @since 0.1.0
 */
import { Effect, Either, Layer, Option } from "effect"
import {
  byCreation,
  fail,
  isRevoked,
  missingFamily,
  noValidation,
  purge,
  refreshRecordOf,
  revokeEntry,
  revokeFamilyIn,
  type Store
} from "./internal/memoryStore.js"
import * as Lease from "./Lease.js"
import * as Session from "./Session.js"
import type { RepositoryError } from "./SessionErrors.js"
import {
  ListedSession,
  RefreshTokenMatch,
  RotateRefreshTokenOutcome,
  SessionRepository,
  type SessionRepositoryService,
  traced
} from "./SessionRepository.js"

/**
 * Builds an empty in-memory repository. Each evaluation gives a new, independent store.
 *
 * The result is not traced; {@link layer} wraps it with `SessionRepository.traced`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<SessionRepositoryService> = Effect.sync(() => {
  const store: Store = {
    sessions: new Map(),
    current: new Map(),
    retired: new Map(),
    families: new Map(),
    subjects: new Map()
  }

  // Each operation body below runs synchronously from start to end inside one `Effect.suspend`; that
  // is what makes it atomic with respect to every other fiber.
  const atomically = <A>(body: () => Either.Either<A, RepositoryError>): Effect.Effect<A, RepositoryError> =>
    Effect.suspend(body)

  const entryWithFamily = (sessionId: Session.SessionId) => {
    const entry = store.sessions.get(sessionId)
    if (entry === undefined) return Either.right(undefined)
    const family = store.families.get(entry.session.familyId)
    return family === undefined ? Either.left(missingFamily()) : Either.right({ entry, family })
  }

  const service: SessionRepositoryService = {
    bootstrap: Effect.void,

    createSession: (input) =>
      atomically(() => {
        const session = input.session
        if (store.sessions.has(session.sessionId)) return fail("Conflict", "The session id is already in use")
        const existing = store.families.get(session.familyId)
        if (existing !== undefined && existing.family.subjectId !== session.subjectId) {
          return fail("InvalidState", "The session family belongs to another subject")
        }
        if (store.current.has(input.refreshTokenHash) || store.retired.has(input.refreshTokenHash)) {
          return fail("Conflict", "The refresh-token hash is already in use")
        }

        if (existing === undefined) {
          const family = new Session.SessionFamily(
            { familyId: session.familyId, subjectId: session.subjectId, createdAt: session.createdAt, revoked: false },
            noValidation
          )
          store.families.set(session.familyId, { family, sessionIds: [session.sessionId] })
          const families = store.subjects.get(session.subjectId)
          if (families === undefined) store.subjects.set(session.subjectId, [session.familyId])
          else families.push(session.familyId)
        } else {
          existing.sessionIds.push(session.sessionId)
        }
        store.sessions.set(session.sessionId, {
          session,
          context: input.context,
          hash: input.refreshTokenHash,
          predecessor: undefined,
          refreshRevoked: session.revoked,
          lease: undefined
        })
        store.current.set(input.refreshTokenHash, session.sessionId)
        return Either.void
      }),

    findSessionByRefreshTokenHash: (hash) =>
      atomically(() => {
        const sessionId = store.current.get(hash)
        if (sessionId !== undefined) {
          return Either.flatMap(entryWithFamily(sessionId), (found) =>
            found === undefined
              ? Either.left(missingFamily())
              : Either.right(
                  Option.some(
                    RefreshTokenMatch.Current({
                      lookup: new Session.SessionLookup(
                        {
                          session: found.entry.session,
                          family: found.family.family,
                          refreshRecord: refreshRecordOf(found.entry)
                        },
                        noValidation
                      )
                    })
                  )
                )
          )
        }
        const retired = store.retired.get(hash)
        if (retired === undefined) return Either.right(Option.none())
        return Either.right(
          Option.some(
            RefreshTokenMatch.Retired({
              sessionId: retired.sessionId,
              familyId: retired.familyId,
              retiredAt: retired.retiredAt,
              directPredecessor: store.sessions.get(retired.sessionId)?.predecessor === hash
            })
          )
        )
      }),

    findSession: (sessionId) =>
      Effect.sync(() => Option.map(Option.fromNullable(store.sessions.get(sessionId)), (e) => e.session)),

    findFamily: (familyId) =>
      Effect.sync(() => Option.map(Option.fromNullable(store.families.get(familyId)), (f) => f.family)),

    findRefreshRecord: (sessionId) =>
      Effect.sync(() => Option.map(Option.fromNullable(store.sessions.get(sessionId)), refreshRecordOf)),

    tryAcquireRenewalLease: (proposal) =>
      atomically(() =>
        Either.map(entryWithFamily(proposal.sessionId), (found) => {
          if (found === undefined || isRevoked(found.entry, found.family)) return Lease.LeaseAcquisition.Unavailable()
          const held = found.entry.lease
          if (held !== undefined && Lease.isActiveAt(held, proposal.acquiredAt)) {
            return Lease.LeaseAcquisition.HeldByOther({ activeLease: held })
          }
          found.entry.lease = proposal
          return Lease.LeaseAcquisition.Acquired({ lease: proposal })
        })
      ),

    rotateRefreshToken: (input) =>
      atomically(() =>
        Either.flatMap(
          entryWithFamily(input.sessionId),
          (found): Either.Either<RotateRefreshTokenOutcome, RepositoryError> => {
            if (found === undefined) return Either.right(RotateRefreshTokenOutcome.SessionMissing())
            const { entry, family } = found
            if (entry.session.familyId !== input.familyId) {
              return fail("Conflict", "The session belongs to another family")
            }
            if (isRevoked(entry, family)) return Either.right(RotateRefreshTokenOutcome.SessionMissing())
            const lease = entry.lease
            if (lease === undefined || lease.leaseId !== input.leaseId || !Lease.isActiveAt(lease, input.now)) {
              return Either.right(RotateRefreshTokenOutcome.LeaseUnavailable())
            }
            if (entry.hash !== input.previousHash) {
              entry.lease = undefined
              return Either.right(RotateRefreshTokenOutcome.RefreshTokenMismatch())
            }
            const next = input.nextSession
            if (
              next.sessionId !== input.sessionId ||
              next.familyId !== input.familyId ||
              next.subjectId !== entry.session.subjectId
            ) {
              return fail("InvalidState", "The next session must keep the session, family and subject ids")
            }
            if (store.current.has(input.nextHash) || store.retired.has(input.nextHash)) {
              return fail("Conflict", "The refresh-token hash is already in use")
            }

            store.retired.set(entry.hash, {
              sessionId: entry.session.sessionId,
              familyId: entry.session.familyId,
              retiredAt: input.now,
              expiresAt: entry.session.expiresAt
            })
            store.current.delete(entry.hash)
            store.current.set(input.nextHash, input.sessionId)
            entry.predecessor = entry.hash
            entry.hash = input.nextHash
            entry.session = next
            entry.lease = undefined
            return Either.right(RotateRefreshTokenOutcome.Rotated({ session: next }))
          }
        )
      ),

    revokeSession: (scope) =>
      atomically(() => {
        if (scope._tag === "SessionFamily") {
          const family = store.families.get(scope.familyId)
          if (family === undefined) return fail("SessionFamilyNotFound", "No such session family")
          revokeFamilyIn(store, family)
          return Either.void
        }
        const entry = store.sessions.get(scope.sessionId)
        if (entry === undefined) return fail("SessionNotFound", "No such session")
        revokeEntry(entry)
        return Either.void
      }),

    revokeFamily: (familyId) =>
      atomically(() => {
        const family = store.families.get(familyId)
        if (family === undefined) return fail("SessionFamilyNotFound", "No such session family")
        revokeFamilyIn(store, family)
        return Either.void
      }),

    touchSession: (touch) =>
      atomically(() => {
        const entry = store.sessions.get(touch.sessionId)
        if (entry === undefined) return fail("SessionNotFound", "No such session")
        entry.session = Session.touched(entry.session, touch.lastSeenAt)
        return Either.void
      }),

    listSessions: (subjectId, now) =>
      atomically(() => {
        const listed: Array<ListedSession> = []
        for (const familyId of store.subjects.get(subjectId) ?? []) {
          const family = store.families.get(familyId)
          if (family === undefined || family.family.revoked) continue
          for (const sessionId of family.sessionIds) {
            const entry = store.sessions.get(sessionId)
            if (entry === undefined || entry.refreshRevoked || !Session.isActiveAt(entry.session, now)) continue
            listed.push(new ListedSession({ session: entry.session, context: entry.context }))
          }
        }
        return Either.right(listed.sort(byCreation))
      }),

    revokeSubject: (subjectId) =>
      atomically(() => {
        let newlyRevoked = 0
        for (const familyId of store.subjects.get(subjectId) ?? []) {
          const family = store.families.get(familyId)
          if (family !== undefined && revokeFamilyIn(store, family)) newlyRevoked++
        }
        return Either.right(newlyRevoked)
      }),

    purgeExpired: (now, retention) => atomically(() => purge(store, now, retention))
  }
  return service
})

/**
 * A fresh, traced in-memory repository per layer build.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { AuthTokens, MemorySessionRepository, SessionConfig, SessionIssuer, Sessions } from "webgates-sessions"
 *
 * const Authority = Sessions.layerWithDefaults.pipe(
 *   Layer.provide(AuthTokens.jwtIssuerLayer),
 *   Layer.provide(AuthTokens.generatedSigningKeysLayer()),
 *   Layer.provide(MemorySessionRepository.layer),
 *   Layer.provide(SessionConfig.layer({ issuer: "https://auth.example.com" }))
 * )
 *
 * const login = Effect.flatMap(SessionIssuer.SessionIssuer, (issuer) => issuer.issue("user-42"))
 * const program = Effect.provide(login, Authority)
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SessionRepository> = Layer.effect(SessionRepository, Effect.map(make, traced))

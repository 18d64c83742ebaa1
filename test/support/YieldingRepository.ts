/**
 * A repository that yields to other fibers before every call, as a networked store would, so that
 * concurrent renewals interleave between lookup, lease and rotation instead of running one by one.
 */
import { Effect, Layer } from "effect"
import { SessionRepository, type SessionRepositoryService } from "../../src/SessionRepository.js"

const yielding = <A, E>(self: Effect.Effect<A, E>): Effect.Effect<A, E> => Effect.zipRight(Effect.yieldNow(), self)

export const layer = <E>(inner: Layer.Layer<SessionRepository, E>): Layer.Layer<SessionRepository, E> =>
  Layer.effect(
    SessionRepository,
    Effect.map(
      SessionRepository,
      (repo): SessionRepositoryService => ({
        bootstrap: yielding(repo.bootstrap),
        createSession: (input) => yielding(repo.createSession(input)),
        findSessionByRefreshTokenHash: (hash) => yielding(repo.findSessionByRefreshTokenHash(hash)),
        findSession: (id) => yielding(repo.findSession(id)),
        findFamily: (id) => yielding(repo.findFamily(id)),
        findRefreshRecord: (id) => yielding(repo.findRefreshRecord(id)),
        tryAcquireRenewalLease: (proposal) => yielding(repo.tryAcquireRenewalLease(proposal)),
        rotateRefreshToken: (input) => yielding(repo.rotateRefreshToken(input)),
        revokeSession: (scope) => yielding(repo.revokeSession(scope)),
        revokeFamily: (id) => yielding(repo.revokeFamily(id)),
        touchSession: (touch) => yielding(repo.touchSession(touch)),
        listSessions: (subject, now) => yielding(repo.listSessions(subject, now)),
        revokeSubject: (subject) => yielding(repo.revokeSubject(subject)),
        purgeExpired: (now, retention) => yielding(repo.purgeExpired(now, retention))
      })
    )
  ).pipe(Layer.provide(inner))

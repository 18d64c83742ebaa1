/**
 * A repository that records every call before passing it on, to count storage access.
 */
import { Context, Effect, Layer, Ref } from "effect"
import { SessionRepository, type SessionRepositoryService } from "../../src/SessionRepository.js"

export type Operation = keyof SessionRepositoryService

const mutating: ReadonlySet<Operation> = new Set<Operation>([
  "createSession",
  "tryAcquireRenewalLease",
  "rotateRefreshToken",
  "revokeSession",
  "revokeFamily",
  "touchSession",
  "revokeSubject",
  "purgeExpired"
])

/** The calls made so far, in order. */
export class RepositoryCalls extends Context.Tag("test/RepositoryCalls")<
  RepositoryCalls,
  { readonly calls: Ref.Ref<ReadonlyArray<Operation>> }
>() {}

/** Every call recorded so far. */
export const calls: Effect.Effect<ReadonlyArray<Operation>, never, RepositoryCalls> = Effect.flatMap(
  RepositoryCalls,
  (spy) => Ref.get(spy.calls)
)

/** The calls that may change state. */
export const mutations: Effect.Effect<ReadonlyArray<Operation>, never, RepositoryCalls> = Effect.map(calls, (all) =>
  all.filter((op) => mutating.has(op))
)

/** Forgets the calls recorded so far. */
export const reset: Effect.Effect<void, never, RepositoryCalls> = Effect.flatMap(RepositoryCalls, (spy) =>
  Ref.set(spy.calls, [])
)

/** Wraps the repository of `inner`, providing both the spied repository and the call log. */
export const layer = <E>(
  inner: Layer.Layer<SessionRepository, E>
): Layer.Layer<SessionRepository | RepositoryCalls, E> =>
  Layer.effectContext(
    Effect.gen(function* () {
      const repo = yield* SessionRepository
      const log = yield* Ref.make<ReadonlyArray<Operation>>([])
      const record = (op: Operation) => Ref.update(log, (all) => [...all, op])
      const spied: SessionRepositoryService = {
        bootstrap: Effect.zipRight(record("bootstrap"), repo.bootstrap),
        createSession: (input) => Effect.zipRight(record("createSession"), repo.createSession(input)),
        findSessionByRefreshTokenHash: (hash) =>
          Effect.zipRight(record("findSessionByRefreshTokenHash"), repo.findSessionByRefreshTokenHash(hash)),
        findSession: (id) => Effect.zipRight(record("findSession"), repo.findSession(id)),
        findFamily: (id) => Effect.zipRight(record("findFamily"), repo.findFamily(id)),
        findRefreshRecord: (id) => Effect.zipRight(record("findRefreshRecord"), repo.findRefreshRecord(id)),
        tryAcquireRenewalLease: (proposal) =>
          Effect.zipRight(record("tryAcquireRenewalLease"), repo.tryAcquireRenewalLease(proposal)),
        rotateRefreshToken: (input) => Effect.zipRight(record("rotateRefreshToken"), repo.rotateRefreshToken(input)),
        revokeSession: (scope) => Effect.zipRight(record("revokeSession"), repo.revokeSession(scope)),
        revokeFamily: (id) => Effect.zipRight(record("revokeFamily"), repo.revokeFamily(id)),
        touchSession: (touch) => Effect.zipRight(record("touchSession"), repo.touchSession(touch)),
        listSessions: (subject, now) => Effect.zipRight(record("listSessions"), repo.listSessions(subject, now)),
        revokeSubject: (subject) => Effect.zipRight(record("revokeSubject"), repo.revokeSubject(subject)),
        purgeExpired: (now, retention) => Effect.zipRight(record("purgeExpired"), repo.purgeExpired(now, retention))
      }
      return Context.make(SessionRepository, spied).pipe(Context.add(RepositoryCalls, { calls: log }))
    })
  ).pipe(Layer.provide(inner))

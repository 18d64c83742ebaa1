/**
 * A snapshot of a repository as seen through its public contract, for "nothing changed" checks that
 * work on every backend.
 */
import { DateTime, Effect, Either } from "effect"
import * as Session from "../../src/Session.js"
import type { RepositoryError } from "../../src/SessionErrors.js"
import { SessionRepository } from "../../src/SessionRepository.js"
import type { RefreshTokenHash } from "../../src/Tokens.js"

export interface Known {
  readonly subjects: ReadonlyArray<string>
  readonly sessionIds: ReadonlyArray<Session.SessionId>
  readonly familyIds: ReadonlyArray<Session.SessionFamilyId>
  readonly hashes: ReadonlyArray<RefreshTokenHash>
}

/** Every read the contract offers over the known ids and hashes, as JSON. */
export const snapshot = (known: Known): Effect.Effect<string, RepositoryError, SessionRepository> =>
  Effect.gen(function* () {
    const repo = yield* SessionRepository
    const now = yield* DateTime.now
    const listed = yield* Effect.forEach(known.subjects, (raw) =>
      Either.match(Session.subjectId(raw), {
        onLeft: () => Effect.succeed([]),
        onRight: (subjectId) => repo.listSessions(subjectId, now)
      })
    )
    const sessions = yield* Effect.forEach(known.sessionIds, repo.findSession)
    const records = yield* Effect.forEach(known.sessionIds, repo.findRefreshRecord)
    const families = yield* Effect.forEach(known.familyIds, repo.findFamily)
    const matches = yield* Effect.forEach(known.hashes, repo.findSessionByRefreshTokenHash)
    return JSON.stringify({ listed, sessions, records, families, matches })
  })

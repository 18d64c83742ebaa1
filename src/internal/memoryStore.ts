/**
 * The in-memory store behind `MemorySessionRepository`: its records and the state changes shared by
 * several operations. Every function here mutates the store synchronously; callers run each operation
 * as one synchronous block, which is what makes it atomic.
 *
 * @since 0.1.0
 */
import { DateTime, type Duration, Either } from "effect"
import type * as Lease from "../Lease.js"
import * as Session from "../Session.js"
import type { SessionContext } from "../SessionContext.js"
import { RepositoryError } from "../SessionErrors.js"
import { type ListedSession, PurgeResult } from "../SessionRepository.js"
import type { RefreshTokenHash } from "../Tokens.js"

/**
 * One mutable record per session. Shapes are fixed and objects are shared rather than copied, to keep a
 * stored session near a kilobyte of heap.
 */
export interface StoredSession {
  session: Session.Session
  readonly context: SessionContext
  hash: RefreshTokenHash
  // The hash the current one replaced: a retired token is the direct predecessor iff it equals this.
  predecessor: RefreshTokenHash | undefined
  refreshRevoked: boolean
  lease: Lease.RenewalLease | undefined
}

/** A family and the ids of its sessions. */
export interface StoredFamily {
  family: Session.SessionFamily
  readonly sessionIds: Array<Session.SessionId>
}

/** A refresh-token hash rotated away, kept for replay detection. */
export interface RetiredToken {
  readonly sessionId: Session.SessionId
  readonly familyId: Session.SessionFamilyId
  readonly retiredAt: DateTime.Utc
  // When the retired token would have expired; it is kept for replay detection until then.
  readonly expiresAt: DateTime.Utc
}

/** The whole store: plain maps keyed by id or hash. */
export interface Store {
  readonly sessions: Map<Session.SessionId, StoredSession>
  readonly current: Map<RefreshTokenHash, Session.SessionId>
  readonly retired: Map<RefreshTokenHash, RetiredToken>
  readonly families: Map<Session.SessionFamilyId, StoredFamily>
  readonly subjects: Map<Session.SubjectId, Array<Session.SessionFamilyId>>
}

/** A failed operation. */
export const fail = (reason: RepositoryError["reason"], message: string) =>
  Either.left(new RepositoryError({ reason, message }))

/** A family must exist for every stored session; its absence means the store was corrupted. */
export const missingFamily = () => new RepositoryError({ reason: "InvalidState", message: "A session has no family" })

/** For records built here from values that were validated when stored. */
export const noValidation = { disableValidation: true } as const

/** The refresh record of a session: it shares the session's expiry. */
export const refreshRecordOf = (entry: StoredSession): Session.SessionRefreshRecord =>
  new Session.SessionRefreshRecord(
    {
      sessionId: entry.session.sessionId,
      familyId: entry.session.familyId,
      expiresAt: entry.session.expiresAt,
      revoked: entry.refreshRevoked
    },
    noValidation
  )

/** Whether the session, its refresh record or its family is revoked. */
export const isRevoked = (entry: StoredSession, family: StoredFamily): boolean =>
  entry.session.revoked || entry.refreshRevoked || family.family.revoked

/** Revokes a session and its refresh record and clears its lease. */
export const revokeEntry = (entry: StoredSession): void => {
  entry.session = Session.revoked(entry.session)
  entry.refreshRevoked = true
  entry.lease = undefined
}

/** Revokes a family and every session in it; returns whether the family was newly revoked. */
export const revokeFamilyIn = (store: Store, stored: StoredFamily): boolean => {
  const newlyRevoked = !stored.family.revoked
  if (newlyRevoked) {
    stored.family = new Session.SessionFamily({ ...stored.family, revoked: true }, noValidation)
  }
  for (const sessionId of stored.sessionIds) {
    const entry = store.sessions.get(sessionId)
    if (entry !== undefined) revokeEntry(entry)
  }
  return newlyRevoked
}

/** Removes one value from an array in place. */
export const removeFrom = <A>(array: Array<A>, value: A): void => {
  const index = array.indexOf(value)
  if (index >= 0) array.splice(index, 1)
}

/** Oldest first, then by session id. */
export const byCreation = (a: ListedSession, b: ListedSession): number => {
  const order = DateTime.Order(a.session.createdAt, b.session.createdAt)
  if (order !== 0) return order
  return a.session.sessionId < b.session.sessionId ? -1 : a.session.sessionId > b.session.sessionId ? 1 : 0
}

/** Removes what expired at least `retention` before `now`. */
export const purge = (store: Store, now: DateTime.Utc, retention: Duration.Duration): Either.Either<PurgeResult> => {
  const cutoff = DateTime.subtractDuration(now, retention)
  const isGone = (expiresAt: DateTime.Utc) => DateTime.lessThanOrEqualTo(expiresAt, cutoff)
  let sessions = 0
  let families = 0
  let retiredTokens = 0

  for (const [sessionId, entry] of store.sessions) {
    if (!isGone(entry.session.expiresAt)) continue
    store.sessions.delete(sessionId)
    store.current.delete(entry.hash)
    sessions++
    const family = store.families.get(entry.session.familyId)
    if (family === undefined) continue
    removeFrom(family.sessionIds, sessionId)
    if (family.sessionIds.length > 0) continue
    store.families.delete(family.family.familyId)
    families++
    const subjectFamilies = store.subjects.get(family.family.subjectId)
    if (subjectFamilies === undefined) continue
    removeFrom(subjectFamilies, family.family.familyId)
    if (subjectFamilies.length === 0) store.subjects.delete(family.family.subjectId)
  }
  // A retired token goes when it would have expired, or with its session: replay detection needs both.
  for (const [hash, retired] of store.retired) {
    if (isGone(retired.expiresAt) || !store.sessions.has(retired.sessionId)) {
      store.retired.delete(hash)
      retiredTokens++
    }
  }
  return Either.right(new PurgeResult({ sessions, families, retiredTokens }))
}

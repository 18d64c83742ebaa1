/**
 * The plain model the property test checks the real stack against, and the invariants of DESIGN.md
 * asserted after every step.
 */
import { expect } from "@effect/vitest"
import { DateTime, Effect, Either, Option, Redacted } from "effect"
import * as Session from "../../src/Session.js"
import { SessionRepository } from "../../src/SessionRepository.js"
import type * as Tokens from "../../src/Tokens.js"
import * as Capture from "../support/Capture.js"

/** The configuration of every sequence: short lifetimes so clock advances cross each one. */
export const modelConfig = {
  authTokenTtl: "15 minutes",
  refreshTokenTtl: "1 hour",
  proactiveRenewalWindow: "2 minutes",
  renewalLeaseTtl: "30 seconds",
  refreshReuseGrace: "10 seconds",
  absoluteSessionLifetime: "90 minutes"
} as const

const hour = 3_600_000
export const refreshTtlMs = hour
export const absoluteMs = 90 * 60_000
export const graceMs = 10_000

export const subjects = ["alice", "bob", "carol"] as const

export interface HeldToken {
  readonly token: Tokens.RefreshToken
  readonly hash: Tokens.RefreshTokenHash
}

export interface RetiredToken extends HeldToken {
  readonly retiredAt: number
}

export interface ModelSession {
  readonly sessionId: Session.SessionId
  readonly familyId: Session.SessionFamilyId
  readonly subject: string
  readonly createdAt: number
  expiresAt: number
  lastSeenAt: number | undefined
  revoked: boolean
  familyRevoked: boolean
  current: HeldToken
  readonly retired: Array<RetiredToken>
}

export interface Model {
  now: number
  readonly sessions: Array<ModelSession>
  /** How many captured log lines and spans earlier steps already checked. */
  readonly checked: { logs: number; spans: number }
}

export const initialModel = (start: number): Model => ({ now: start, sessions: [], checked: { logs: 0, spans: 0 } })

/** Why the model expects a renewal with the current token to be refused, if it does. */
export const refusal = (s: ModelSession, now: number): "SessionInactive" | "AbsoluteLifetimeReached" | undefined => {
  if (s.revoked || s.familyRevoked) return "SessionInactive"
  if (s.createdAt + absoluteMs <= now) return "AbsoluteLifetimeReached"
  if (s.expiresAt <= now) return "SessionInactive"
  return undefined
}

export const isListed = (s: ModelSession, now: number): boolean => !s.revoked && !s.familyRevoked && s.expiresAt > now

export const nextExpiry = (s: ModelSession, now: number): number =>
  Math.min(now + refreshTtlMs, s.createdAt + absoluteMs)

/** Records a rotation of `s` at `now` to `next`. */
export const rotate = (s: ModelSession, next: HeldToken, now: number): void => {
  s.retired.push({ ...s.current, retiredAt: now })
  s.current = next
  s.lastSeenAt = now
  s.expiresAt = nextExpiry(s, now)
}

/** Records a family revocation (each login has its own family, so one session). */
export const revokeFamily = (model: Model, familyId: Session.SessionFamilyId): void => {
  for (const s of model.sessions) {
    if (s.familyId === familyId) {
      s.familyRevoked = true
      s.revoked = true
    }
  }
}

const millis = (d: DateTime.Utc) => DateTime.toEpochMillis(d)

const plaintexts = (model: Model): Array<string> =>
  model.sessions.flatMap((s) => [s.current, ...s.retired].map((t) => Redacted.value(t.token.value)))

/**
 * The invariants, checked against the repository and the captured logs and spans:
 *
 * 1. one current (and active, when the model says so) refresh token per session, the model's;
 * 2. every rotated-away token is `Retired`, never current, and only the latest is the direct predecessor;
 * 3. families revoked by a replay are revoked in storage (renewals of them are checked by the commands);
 * 4. concurrent renewals are checked by the batch command itself;
 * 5. inactive sessions are not listed (renewals of them and Valid-token storage access are checked by
 *    the commands);
 * 6. no plaintext refresh token in anything the repository returns, nor in logs and spans;
 * 7. every stored timestamp is the model's, which is driven only by `TestClock`.
 */
export const checkInvariants = (model: Model): Effect.Effect<void, unknown, SessionRepository | Capture.Captured> =>
  Effect.gen(function* () {
    const repo = yield* SessionRepository
    const now = DateTime.unsafeMake(model.now)
    const seen: Array<unknown> = []

    yield* Effect.forEach(
      model.sessions,
      (s) =>
        Effect.gen(function* () {
          const stored = Option.getOrThrow(yield* repo.findSession(s.sessionId))
          seen.push(stored)
          expect(stored.familyId).toBe(s.familyId)
          expect(stored.subjectId).toBe(s.subject)
          expect(millis(stored.createdAt)).toBe(s.createdAt)
          expect(millis(stored.expiresAt)).toBe(s.expiresAt)
          expect(Option.map(stored.lastSeenAt, millis)).toEqual(Option.fromNullable(s.lastSeenAt))
          expect(stored.revoked).toBe(s.revoked)

          const family = Option.getOrThrow(yield* repo.findFamily(s.familyId))
          expect(family.revoked).toBe(s.familyRevoked)
          const record = Option.getOrThrow(yield* repo.findRefreshRecord(s.sessionId))
          expect(millis(record.expiresAt)).toBe(s.expiresAt)
          expect(record.revoked).toBe(s.revoked)

          const current = Option.getOrThrow(yield* repo.findSessionByRefreshTokenHash(s.current.hash))
          seen.push(current)
          if (current._tag !== "Current") return expect.fail(`the current token of ${s.sessionId} is ${current._tag}`)
          expect(current.lookup.session.sessionId).toBe(s.sessionId)
          expect(Session.isLookupActiveAt(current.lookup, now)).toBe(isListed(s, model.now))

          for (const [index, old] of s.retired.entries()) {
            const match = Option.getOrThrow(yield* repo.findSessionByRefreshTokenHash(old.hash))
            seen.push(match)
            if (match._tag !== "Retired") return expect.fail(`a rotated token of ${s.sessionId} is ${match._tag}`)
            expect(match.sessionId).toBe(s.sessionId)
            expect(match.familyId).toBe(s.familyId)
            expect(millis(match.retiredAt)).toBe(old.retiredAt)
            expect(match.directPredecessor).toBe(index === s.retired.length - 1)
          }
        }),
      { concurrency: 4, discard: true }
    )

    for (const subject of subjects) {
      const listed = yield* repo.listSessions(Either.getOrThrow(Session.subjectId(subject)), now)
      seen.push(listed)
      const expected = model.sessions
        .filter((s) => s.subject === subject && isListed(s, model.now))
        .sort((a, b) => a.createdAt - b.createdAt || (a.sessionId < b.sessionId ? -1 : 1))
        .map((s) => s.sessionId)
      expect(listed.map((l) => l.session.sessionId)).toEqual(expected)
    }

    const stored = JSON.stringify(seen)
    const captured = yield* Capture.dumpFrom(model.checked)
    const { logs, spans } = yield* Capture.Captured
    model.checked.logs = logs.length
    model.checked.spans = spans.length
    for (const plaintext of plaintexts(model)) {
      expect(stored.includes(plaintext)).toBe(false)
      expect(captured.includes(plaintext)).toBe(false)
    }
  })

/**
 * The values and steps the repository contract is written with. Every moment is explicit: the repository
 * never reads the clock.
 */
import { createHash } from "node:crypto"
import { expect, it } from "@effect/vitest"
import { DateTime, Effect, Either, type Layer, Option } from "effect"
import * as Lease from "../../src/Lease.js"
import * as Session from "../../src/Session.js"
import * as SessionContext from "../../src/SessionContext.js"
import type { RepositoryError } from "../../src/SessionErrors.js"
import * as SessionRepository from "../../src/SessionRepository.js"
import { RefreshTokenHash } from "../../src/Tokens.js"

/** Registers one contract test; each run gets a fresh repository. */
export type ContractTest = (
  title: string,
  body: Effect.Effect<void, unknown, SessionRepository.SessionRepository>
) => void

/** The `ContractTest` over repositories built by `makeLayer`. */
export const contractTest =
  (makeLayer: () => Layer.Layer<SessionRepository.SessionRepository, unknown>): ContractTest =>
  (title, body) =>
    it.effect(title, () => Effect.provide(body, makeLayer()))

const t0 = DateTime.unsafeMake("2030-01-01T00:00:00.000Z")
export const at = (seconds: number): DateTime.Utc => DateTime.add(t0, { seconds })
export const hour = 3600

export const hashOf = (label: string): RefreshTokenHash =>
  RefreshTokenHash.make(createHash("sha256").update(`contract:${label}`).digest("hex"))

export const subject = (raw: string): Session.SubjectId => Either.getOrThrow(Session.subjectId(raw))

const ttl = Either.getOrThrow(Lease.leaseTtl("30 seconds"))

export interface NewSession {
  readonly subjectId?: string
  readonly familyId?: Session.SessionFamilyId
  readonly createdAt?: number
  readonly expiresAt?: number
}

export const newSession = (options: NewSession = {}) =>
  Effect.gen(function* () {
    const sessionId = yield* Session.makeSessionId
    const familyId = options.familyId ?? (yield* Session.makeSessionFamilyId)
    return new Session.Session({
      sessionId,
      familyId,
      subjectId: subject(options.subjectId ?? "alice"),
      createdAt: at(options.createdAt ?? 0),
      expiresAt: at(options.expiresAt ?? hour),
      lastSeenAt: Option.none(),
      revoked: false
    })
  })

export const repository = SessionRepository.SessionRepository

export const create = (session: Session.Session, hash: RefreshTokenHash, context = SessionContext.empty) =>
  Effect.flatMap(repository, (repo) =>
    repo.createSession(new SessionRepository.CreateSession({ session, refreshTokenHash: hash, context }))
  )

/** A stored session with its first hash. */
export const stored = (label: string, options: NewSession = {}) =>
  Effect.gen(function* () {
    const session = yield* newSession(options)
    const hash = hashOf(label)
    yield* create(session, hash)
    return { session, hash }
  })

export const proposal = (sessionId: Session.SessionId, acquiredAt: number) =>
  Effect.map(Lease.makeLeaseId, (leaseId) => Lease.fromTtl({ leaseId, sessionId, acquiredAt: at(acquiredAt), ttl }))

export const acquire = (sessionId: Session.SessionId, acquiredAt: number) =>
  Effect.gen(function* () {
    const repo = yield* repository
    const lease = yield* proposal(sessionId, acquiredAt)
    return { lease, acquisition: yield* repo.tryAcquireRenewalLease(lease) }
  })

export const nextOf = (session: Session.Session, now: number, expiresAt = now + hour) =>
  new Session.Session({ ...session, lastSeenAt: Option.some(at(now)), expiresAt: at(expiresAt) })

export const rotation = (args: {
  readonly session: Session.Session
  readonly lease: Lease.RenewalLease
  readonly previousHash: RefreshTokenHash
  readonly nextHash: RefreshTokenHash
  readonly now: number
  readonly nextSession?: Session.Session
  readonly familyId?: Session.SessionFamilyId
}) =>
  new SessionRepository.RotateRefreshToken({
    sessionId: args.session.sessionId,
    familyId: args.familyId ?? args.session.familyId,
    leaseId: args.lease.leaseId,
    previousHash: args.previousHash,
    nextHash: args.nextHash,
    nextSession: args.nextSession ?? nextOf(args.session, args.now),
    now: at(args.now)
  })

/** Acquires a lease at `now` and rotates `previousHash` to `nextHash`. */
export const rotate = (
  session: Session.Session,
  previousHash: RefreshTokenHash,
  nextHash: RefreshTokenHash,
  now: number
) =>
  Effect.gen(function* () {
    const repo = yield* repository
    const { lease, acquisition } = yield* acquire(session.sessionId, now)
    expect(acquisition._tag).toBe("Acquired")
    return yield* repo.rotateRefreshToken(rotation({ session, lease, previousHash, nextHash, now }))
  })

export const expectCurrent = (hash: RefreshTokenHash) =>
  Effect.gen(function* () {
    const match = yield* Effect.flatMap(repository, (repo) => repo.findSessionByRefreshTokenHash(hash))
    if (Option.isNone(match) || match.value._tag !== "Current") {
      return expect.fail(`expected a current match, got ${Option.isNone(match) ? "none" : match.value._tag}`)
    }
    return match.value.lookup
  })

export const expectRetired = (hash: RefreshTokenHash) =>
  Effect.gen(function* () {
    const match = yield* Effect.flatMap(repository, (repo) => repo.findSessionByRefreshTokenHash(hash))
    if (Option.isNone(match) || match.value._tag !== "Retired") {
      return expect.fail(`expected a retired match, got ${Option.isNone(match) ? "none" : match.value._tag}`)
    }
    return match.value
  })

export const failureOf = <A>(effect: Effect.Effect<A, RepositoryError, SessionRepository.SessionRepository>) =>
  Effect.flip(effect)

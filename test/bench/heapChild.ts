/**
 * Heap bytes per stored session in the in-memory repository, measured in a process of its own:
 *
 *   node --expose-gc --import tsx test/bench/heapChild.ts <sessions>
 *
 * Creates `<sessions>` sessions through `MemorySessionRepository.createSession` as the issuer would (a
 * validated `Session` with UUIDv7 ids and `DateTime` fields from `Clock`, one subject and family per
 * session, the SHA-256 hex hash of a fresh 64-character token, the empty context), then rotates each once
 * under a lease, which adds a retired token kept for replay detection. Prints one line of JSON with the
 * heap growth per session after each phase, measured after full garbage collections.
 */
import { DateTime, Duration, Effect, Option } from "effect"
import * as Lease from "../../src/Lease.js"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import * as Session from "../../src/Session.js"
import * as SessionContext from "../../src/SessionContext.js"
import { CreateSession, RotateRefreshToken } from "../../src/SessionRepository.js"
import * as Tokens from "../../src/Tokens.js"

const collect = (): void => {
  const gc: unknown = Reflect.get(globalThis, "gc")
  if (typeof gc !== "function") throw new Error("run with node --expose-gc")
  for (let i = 0; i < 4; i++) gc()
}

const heapUsed = (): number => {
  collect()
  return process.memoryUsage().heapUsed
}

const count = Number(process.argv[2] ?? 100_000)
const generator = Tokens.makeRefreshTokenGenerator()
const hasher = Tokens.sha256Hasher
const leaseTtl = Effect.runSync(Lease.leaseTtl(Duration.seconds(30)))
const refreshTtl = Duration.days(30)

const program = Effect.gen(function* () {
  const repository = yield* MemorySessionRepository.make
  const hashOf = Effect.flatMap(generator.generate, hasher.hash)

  // The ids and hashes are kept outside the repository for the rotation phase. Both arrays are filled
  // before the first reading so that neither difference counts their slots; the strings they point to
  // are the repository's own.
  const ids: Array<string> = Array.from({ length: count }, () => "")
  const hashes: Array<string> = Array.from({ length: count }, () => "")
  const started = heapUsed()

  for (let i = 0; i < count; i++) {
    const now = yield* DateTime.now
    const session = new Session.Session({
      sessionId: yield* Session.makeSessionId,
      familyId: yield* Session.makeSessionFamilyId,
      subjectId: Session.SubjectId.make(`user-${i}`),
      createdAt: now,
      expiresAt: DateTime.addDuration(now, refreshTtl),
      lastSeenAt: Option.none(),
      revoked: false
    })
    const refreshTokenHash = yield* hashOf
    ids[i] = session.sessionId
    hashes[i] = refreshTokenHash
    yield* repository.createSession(new CreateSession({ session, refreshTokenHash, context: SessionContext.empty }))
  }
  const created = heapUsed()

  for (let i = 0; i < count; i++) {
    const sessionId = Session.SessionId.make(ids[i] ?? "", { disableValidation: true })
    const previousHash = Tokens.RefreshTokenHash.make(hashes[i] ?? "", { disableValidation: true })
    const current = yield* repository.findSession(sessionId)
    if (Option.isNone(current)) return yield* Effect.dieMessage("a stored session is missing")
    const now = yield* DateTime.now
    const proposal = Lease.fromTtl({ leaseId: yield* Lease.makeLeaseId, sessionId, acquiredAt: now, ttl: leaseTtl })
    const acquisition = yield* repository.tryAcquireRenewalLease(proposal)
    if (acquisition._tag !== "Acquired") return yield* Effect.dieMessage("lease not acquired")
    const nextSession = new Session.Session({
      ...current.value,
      lastSeenAt: Option.some(now),
      expiresAt: DateTime.addDuration(now, refreshTtl)
    })
    const outcome = yield* repository.rotateRefreshToken(
      new RotateRefreshToken({
        sessionId,
        familyId: current.value.familyId,
        leaseId: proposal.leaseId,
        previousHash,
        nextHash: yield* hashOf,
        nextSession,
        now
      })
    )
    if (outcome._tag !== "Rotated") return yield* Effect.dieMessage(`rotation ended ${outcome._tag}`)
  }
  const rotated = heapUsed()

  // Reading the store after the last measurement keeps it reachable until then.
  const stillStored = yield* repository.findSession(Session.SessionId.make(ids[0] ?? "", { disableValidation: true }))
  return {
    sessions: count,
    stillStored: Option.isSome(stillStored),
    bytesPerSession: (created - started) / count,
    bytesPerSessionAfterOneRotation: (rotated - started) / count
  }
})

const result = Effect.runSync(program)
console.log(JSON.stringify(result))

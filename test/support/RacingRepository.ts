/**
 * A repository wrapper that lets another actor act at a precise point of one renewal, to drive the
 * renewer's step-8 paths deterministically:
 *
 * - `RotateBeforeLease`: right before the first lease acquisition, another renewer rotates the token
 *   that was just looked up, `times` times in a row (A to B, B to C, ...), at the same moment.
 * - `RevokeAfterLease`: right after the first lease acquisition, the session is signed out.
 */
import { createHash, randomUUID } from "node:crypto"
import { Effect, Layer, Option } from "effect"
import * as Lease from "../../src/Lease.js"
import * as Session from "../../src/Session.js"
import {
  RevokeSessionScope,
  RotateRefreshToken,
  SessionRepository,
  type SessionRepositoryService
} from "../../src/SessionRepository.js"
import { RefreshTokenHash } from "../../src/Tokens.js"

export type Interleaving =
  | { readonly _tag: "RotateBeforeLease"; readonly times: number }
  | { readonly _tag: "RevokeAfterLease" }

const freshHash = () => RefreshTokenHash.make(createHash("sha256").update(randomUUID()).digest("hex"))

export const layer = <E>(
  inner: Layer.Layer<SessionRepository, E>,
  interleaving: Interleaving
): Layer.Layer<SessionRepository, E> =>
  Layer.effect(
    SessionRepository,
    Effect.gen(function* () {
      const repo = yield* SessionRepository
      let pending = true
      let lastLookup: { hash: RefreshTokenHash; session: Session.Session } | undefined

      const otherRenewer = (proposal: Lease.RenewalLease) =>
        Effect.gen(function* () {
          if (lastLookup === undefined) return
          let { hash, session } = lastLookup
          const times = interleaving._tag === "RotateBeforeLease" ? interleaving.times : 0
          for (let i = 0; i < times; i++) {
            const lease = new Lease.RenewalLease({ ...proposal, leaseId: yield* Lease.makeLeaseId })
            yield* repo.tryAcquireRenewalLease(lease)
            const nextHash = freshHash()
            const nextSession = Session.touched(session, proposal.acquiredAt)
            yield* repo.rotateRefreshToken(
              new RotateRefreshToken({
                sessionId: session.sessionId,
                familyId: session.familyId,
                leaseId: lease.leaseId,
                previousHash: hash,
                nextHash,
                nextSession,
                now: proposal.acquiredAt
              })
            )
            hash = nextHash
            session = nextSession
          }
        })

      const wrapped: SessionRepositoryService = {
        ...repo,
        findSessionByRefreshTokenHash: (hash) =>
          Effect.tap(repo.findSessionByRefreshTokenHash(hash), (match) => {
            if (Option.isSome(match) && match.value._tag === "Current") {
              lastLookup = { hash, session: match.value.lookup.session }
            }
          }),
        tryAcquireRenewalLease: (proposal) =>
          Effect.suspend(() => {
            const first = pending
            pending = false
            if (!first) return repo.tryAcquireRenewalLease(proposal)
            if (interleaving._tag === "RotateBeforeLease") {
              return Effect.zipRight(Effect.orDie(otherRenewer(proposal)), repo.tryAcquireRenewalLease(proposal))
            }
            return Effect.tap(repo.tryAcquireRenewalLease(proposal), () =>
              Effect.orDie(repo.revokeSession(RevokeSessionScope.CurrentSession({ sessionId: proposal.sessionId })))
            )
          })
      }
      return wrapped
    })
  ).pipe(Layer.provide(inner))

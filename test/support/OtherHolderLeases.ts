/**
 * Lease coordinators that simulate another renewer, to drive every `LeaseUnavailable` path of the
 * renewer without racing real fibers.
 */
import { DateTime, Effect, Layer } from "effect"
import * as Lease from "../../src/Lease.js"

const foreignLeaseId = Lease.LeaseId.make("00000000-0000-7000-8000-00000000f00d")

/** Someone else holds an active lease on every session. */
export const heldByOther: Layer.Layer<Lease.RenewalLeases> = Layer.succeed(Lease.RenewalLeases, {
  tryAcquire: (proposal) =>
    Effect.succeed(
      Lease.LeaseAcquisition.HeldByOther({
        activeLease: new Lease.RenewalLease({
          leaseId: foreignLeaseId,
          sessionId: proposal.sessionId,
          acquiredAt: DateTime.subtract(proposal.acquiredAt, { seconds: 1 }),
          until: DateTime.add(proposal.acquiredAt, { seconds: 29 })
        })
      })
    )
})

/** The coordinator cannot grant leases (for instance, it lost its connection). */
export const unavailable: Layer.Layer<Lease.RenewalLeases> = Layer.succeed(Lease.RenewalLeases, {
  tryAcquire: () => Effect.succeed(Lease.LeaseAcquisition.Unavailable())
})

/**
 * Grants the lease but never records it in the repository, as when the lease was lost between
 * acquisition and rotation: the repository then refuses the rotation.
 */
export const lostBeforeRotation: Layer.Layer<Lease.RenewalLeases> = Layer.succeed(Lease.RenewalLeases, {
  tryAcquire: (proposal) => Effect.succeed(Lease.LeaseAcquisition.Acquired({ lease: proposal }))
})

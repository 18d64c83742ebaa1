import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Either, FastCheck, Layer, Option, Schema, TestClock } from "effect"
import * as Lease from "../../src/Lease.js"
import * as Session from "../../src/Session.js"
import * as SessionRepository from "../../src/SessionRepository.js"

const t0 = DateTime.unsafeMake("2025-03-01T12:00:00.000Z")
const at = (millis: number) => DateTime.add(t0, { millis })
const sessionId = Session.SessionId.make("0195a0c0-0000-7000-8000-000000000001")
const leaseId = Lease.LeaseId.make("0195a0c0-0000-7000-8000-0000000000aa")
const ttl = (input: Duration.DurationInput) => Either.getOrThrow(Lease.leaseTtl(input))

const lease = (ttlMillis: number) => Lease.fromTtl({ leaseId, sessionId, acquiredAt: t0, ttl: ttl(ttlMillis) })

describe("lease lifetime", () => {
  it("leaseTtl accepts positive finite durations only", () => {
    expect(Duration.toMillis(ttl("30 seconds"))).toBe(30_000)
    expect(Duration.toMillis(ttl(1))).toBe(1)
    const rejected: ReadonlyArray<Duration.DurationInput> = [0, -1, "-30 seconds", Duration.zero, Duration.infinity]
    for (const input of rejected) {
      const error = Option.getOrThrow(Either.getLeft(Lease.leaseTtl(input)))
      expect(error._tag).toBe("ConfigError")
      expect(error.reason).toBe("Invalid")
    }
  })

  it("the LeaseTtl schema agrees with leaseTtl", () => {
    const is = Schema.is(Lease.LeaseTtl)
    expect(is(Duration.seconds(30))).toBe(true)
    expect(is(Duration.zero)).toBe(false)
    expect(is(Duration.infinity)).toBe(false)
  })

  it("fromTtl ends the lease ttl after acquiredAt", () => {
    const l = lease(30_000)
    expect(l.acquiredAt).toBe(t0)
    expect(DateTime.toEpochMillis(l.until)).toBe(DateTime.toEpochMillis(t0) + 30_000)
    expect(l.sessionId).toBe(sessionId)
    expect(l.leaseId).toBe(leaseId)
  })
})

describe("activity", () => {
  it("a lease is active before until and inactive at until", () => {
    const l = lease(30_000)
    expect(Lease.isActiveAt(l, t0)).toBe(true)
    expect(Lease.isActiveAt(l, at(29_999))).toBe(true)
    expect(Lease.isActiveAt(l, at(30_000))).toBe(false)
    expect(Lease.isActiveAt(l, at(30_001))).toBe(false)
    expect(Lease.isActiveAt(at(30_000))(l)).toBe(false)
  })

  it.prop(
    "active at now iff now < acquiredAt + ttl",
    [FastCheck.integer({ min: 1, max: 120_000 }), FastCheck.integer({ min: 0, max: 240_000 })],
    ([ttlMillis, offset]) => {
      expect(Lease.isActiveAt(lease(ttlMillis), at(offset))).toBe(offset < ttlMillis)
    }
  )
})

describe("ids and outcomes", () => {
  it.effect("makeLeaseId is a UUIDv7 stamped with the Clock's time", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(DateTime.toEpochMillis(t0))
      const id = yield* Lease.makeLeaseId
      expect(Schema.is(Lease.LeaseId)(id)).toBe(true)
      expect(id.charAt(14)).toBe("7")
      expect(Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)).toBe(DateTime.toEpochMillis(t0))
    })
  )

  it("LeaseAcquisition has the three outcomes, matched exhaustively", () => {
    const l = lease(1_000)
    const describe = Lease.LeaseAcquisition.$match({
      Acquired: ({ lease }) => `acquired ${lease.leaseId}`,
      HeldByOther: ({ activeLease }) => `held until ${DateTime.toEpochMillis(activeLease.until)}`,
      Unavailable: () => "unavailable"
    })
    expect(describe(Lease.LeaseAcquisition.Acquired({ lease: l }))).toBe(`acquired ${leaseId}`)
    expect(describe(Lease.LeaseAcquisition.HeldByOther({ activeLease: l }))).toBe(
      `held until ${DateTime.toEpochMillis(t0) + 1_000}`
    )
    expect(describe(Lease.LeaseAcquisition.Unavailable())).toBe("unavailable")
    expect(Lease.LeaseAcquisition.$is("Unavailable")(Lease.LeaseAcquisition.Unavailable())).toBe(true)
  })
})

describe("layerFromRepository", () => {
  // The layer is under test; the repository is a stand-in that records what it was asked.
  const recordingRepository = (proposals: Array<Lease.RenewalLease>) => {
    const unused = Effect.dieMessage("not used by the lease layer")
    return Layer.succeed(SessionRepository.SessionRepository, {
      bootstrap: unused,
      createSession: () => unused,
      findSessionByRefreshTokenHash: () => unused,
      findSession: () => unused,
      findFamily: () => unused,
      findRefreshRecord: () => unused,
      tryAcquireRenewalLease: (proposal) => {
        proposals.push(proposal)
        return Effect.succeed(
          proposals.length === 1
            ? Lease.LeaseAcquisition.Acquired({ lease: proposal })
            : Lease.LeaseAcquisition.HeldByOther({ activeLease: proposals[0] ?? proposal })
        )
      },
      rotateRefreshToken: () => unused,
      revokeSession: () => unused,
      revokeFamily: () => unused,
      touchSession: () => unused,
      listSessions: () => unused,
      revokeSubject: () => unused,
      purgeExpired: () => unused
    })
  }

  it.effect("delegates every proposal to the repository and returns its answer", () =>
    Effect.gen(function* () {
      const proposals: Array<Lease.RenewalLease> = []
      const leases = yield* Effect.provide(
        Lease.RenewalLeases,
        Lease.layerFromRepository.pipe(Layer.provide(recordingRepository(proposals)))
      )
      const first = lease(30_000)
      const second = Lease.fromTtl({ leaseId, sessionId, acquiredAt: at(1_000), ttl: ttl("30 seconds") })
      expect((yield* leases.tryAcquire(first))._tag).toBe("Acquired")
      const answer = yield* leases.tryAcquire(second)
      expect(answer).toEqual(Lease.LeaseAcquisition.HeldByOther({ activeLease: first }))
      expect(proposals).toEqual([first, second])
    })
  )
})

import { describe, expect, it } from "@effect/vitest"
import { DateTime, Duration, FastCheck, Option, Redacted } from "effect"
import * as Lease from "../../src/Lease.js"
import * as Renewal from "../../src/Renewal.js"
import * as Session from "../../src/Session.js"
import * as Tokens from "../../src/Tokens.js"

const { AuthTokenState, RenewalDecision, RenewalOutcome } = Renewal

const states = {
  Valid: AuthTokenState.Valid({ expiresIn: Duration.minutes(10) }),
  NearExpiry: AuthTokenState.NearExpiry({ expiresIn: Duration.seconds(30) }),
  Expired: AuthTokenState.Expired({ expiredFor: Duration.seconds(1) }),
  Invalid: AuthTokenState.Invalid()
} as const

// The design's table, written out independently of the implementation.
const table: Record<
  Renewal.AuthTokenState["_tag"],
  Record<Renewal.RenewalRequirement, Renewal.RenewalDecision["_tag"]>
> = {
  Valid: { Proactive: "NoRenewal", Required: "NoRenewal" },
  NearExpiry: { Proactive: "AttemptProactiveRenewal", Required: "RequireRenewal" },
  Expired: { Proactive: "RequireRenewal", Required: "RequireRenewal" },
  Invalid: { Proactive: "Reject", Required: "Reject" }
}

const requirements: ReadonlyArray<Renewal.RenewalRequirement> = ["Proactive", "Required"]

describe("decide", () => {
  it.each([
    ["Valid", "Proactive", "NoRenewal"],
    ["Valid", "Required", "NoRenewal"],
    ["NearExpiry", "Proactive", "AttemptProactiveRenewal"],
    ["NearExpiry", "Required", "RequireRenewal"],
    ["Expired", "Proactive", "RequireRenewal"],
    ["Expired", "Required", "RequireRenewal"],
    ["Invalid", "Proactive", "Reject"],
    ["Invalid", "Required", "Reject"]
  ] as const)("%s + %s is %s", (state, requirement, decision) => {
    expect(Renewal.decide(states[state], requirement)).toEqual(RenewalDecision[decision]())
  })

  it("the table above covers every state and requirement", () => {
    const covered = Object.keys(states).flatMap((state) => requirements.map((r) => `${state}/${r}`))
    expect(covered).toHaveLength(8)
    expect(new Set(covered).size).toBe(8)
  })

  const durationArb = FastCheck.integer({ min: 0, max: 1_000_000_000 }).map(Duration.millis)
  const stateArb: FastCheck.Arbitrary<Renewal.AuthTokenState> = FastCheck.oneof(
    durationArb.map((expiresIn) => AuthTokenState.Valid({ expiresIn })),
    durationArb.map((expiresIn) => AuthTokenState.NearExpiry({ expiresIn })),
    durationArb.map((expiredFor) => AuthTokenState.Expired({ expiredFor })),
    FastCheck.constant(AuthTokenState.Invalid())
  )
  const requirementArb = FastCheck.constantFrom<Renewal.RenewalRequirement>("Proactive", "Required")

  it.prop(
    "every state and requirement decides as the table says",
    [stateArb, requirementArb],
    ([state, requirement]) => {
      const decision = Renewal.decide(state, requirement)
      expect(decision._tag).toBe(table[state._tag][requirement])
      // Consequences a caller relies on.
      expect(Renewal.shouldRenew(decision)).toBe(state._tag === "NearExpiry" || state._tag === "Expired")
      if (requirement === "Required") expect(decision._tag).not.toBe("AttemptProactiveRenewal")
      if (!Renewal.isAuthentic(state)) expect(decision._tag).toBe("Reject")
    }
  )
})

describe("state and decision predicates", () => {
  it("isUsable is true for Valid and NearExpiry only", () => {
    expect(Renewal.isUsable(states.Valid)).toBe(true)
    expect(Renewal.isUsable(states.NearExpiry)).toBe(true)
    expect(Renewal.isUsable(states.Expired)).toBe(false)
    expect(Renewal.isUsable(states.Invalid)).toBe(false)
  })

  it("isAuthentic is false for Invalid only", () => {
    expect(Renewal.isAuthentic(states.Valid)).toBe(true)
    expect(Renewal.isAuthentic(states.NearExpiry)).toBe(true)
    expect(Renewal.isAuthentic(states.Expired)).toBe(true)
    expect(Renewal.isAuthentic(states.Invalid)).toBe(false)
  })

  it("shouldRenew is true for the two renewal decisions only", () => {
    expect(Renewal.shouldRenew(RenewalDecision.NoRenewal())).toBe(false)
    expect(Renewal.shouldRenew(RenewalDecision.AttemptProactiveRenewal())).toBe(true)
    expect(Renewal.shouldRenew(RenewalDecision.RequireRenewal())).toBe(true)
    expect(Renewal.shouldRenew(RenewalDecision.Reject())).toBe(false)
  })
})

describe("outcomes", () => {
  const sessionId = Session.SessionId.make("0195a0c0-0000-7000-8000-000000000001")
  const familyId = Session.SessionFamilyId.make("0195a0c0-0000-7000-8000-000000000002")
  const session = new Session.Session({
    sessionId,
    familyId,
    subjectId: Session.SubjectId.make("user-42"),
    createdAt: DateTime.unsafeMake(0),
    expiresAt: DateTime.unsafeMake(60_000),
    lastSeenAt: Option.none(),
    revoked: false
  })
  const tokens = new Tokens.IssuedTokenPair({
    authToken: new Tokens.AuthToken({ value: Redacted.make("access") }),
    refreshToken: new Tokens.RefreshToken({ value: Redacted.make("r".repeat(64)) })
  })

  // Every outcome, with the expected answer of each accessor and predicate.
  const outcomes: ReadonlyArray<{
    readonly outcome: Renewal.RenewalOutcome
    readonly renewed: boolean
    readonly securitySignal: boolean
    readonly keepsCurrentTokens: boolean
  }> = [
    { outcome: RenewalOutcome.NotNeeded(), renewed: false, securitySignal: false, keepsCurrentTokens: true },
    {
      outcome: RenewalOutcome.LeaseUnavailable({ acquisition: Lease.LeaseAcquisition.Unavailable() }),
      renewed: false,
      securitySignal: false,
      keepsCurrentTokens: true
    },
    {
      outcome: RenewalOutcome.Renewed({ session, tokens }),
      renewed: true,
      securitySignal: false,
      keepsCurrentTokens: false
    },
    {
      outcome: RenewalOutcome.ReplayDetected({ sessionId, familyId }),
      renewed: false,
      securitySignal: true,
      keepsCurrentTokens: false
    },
    {
      outcome: RenewalOutcome.Superseded({ sessionId }),
      renewed: false,
      securitySignal: false,
      keepsCurrentTokens: true
    },
    {
      outcome: RenewalOutcome.Rejected({ reason: "UnknownRefreshToken" }),
      renewed: false,
      securitySignal: false,
      keepsCurrentTokens: false
    }
  ]

  it("the cases cover every outcome tag", () => {
    const tags = outcomes.map(({ outcome }) => outcome._tag)
    const everyTag: ReadonlyArray<Renewal.RenewalOutcome["_tag"]> = [
      "NotNeeded",
      "LeaseUnavailable",
      "Renewed",
      "ReplayDetected",
      "Superseded",
      "Rejected"
    ]
    expect([...tags].sort()).toEqual([...everyTag].sort())
  })

  it.each(outcomes)("accessors and predicates for $outcome._tag", (c) => {
    expect(Option.isSome(Renewal.tokens(c.outcome))).toBe(c.renewed)
    expect(Option.isSome(Renewal.session(c.outcome))).toBe(c.renewed)
    expect(Renewal.isSecuritySignal(c.outcome)).toBe(c.securitySignal)
    expect(Renewal.keepsCurrentTokens(c.outcome)).toBe(c.keepsCurrentTokens)
    if (c.renewed) {
      expect(Renewal.tokens(c.outcome)).toEqual(Option.some(tokens))
      expect(Renewal.session(c.outcome)).toEqual(Option.some(session))
    }
  })
})

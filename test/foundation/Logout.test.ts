import { describe, expect, it } from "@effect/vitest"
import { Equal, Hash } from "effect"
import * as Logout from "../../src/Logout.js"
import * as Session from "../../src/Session.js"

const sessionId = Session.SessionId.make("0195a0c0-0000-7000-8000-000000000001")
const familyId = Session.SessionFamilyId.make("0195a0c0-0000-7000-8000-000000000002")

describe("LogoutRequest", () => {
  it("compares by value", () => {
    const a = new Logout.LogoutRequest({ sessionId, familyId, scope: "CurrentSession" })
    const b = new Logout.LogoutRequest({ sessionId, familyId, scope: "CurrentSession" })
    const c = new Logout.LogoutRequest({ sessionId, familyId, scope: "SessionFamily" })
    expect(Equal.equals(a, b)).toBe(true)
    expect(Hash.hash(a)).toBe(Hash.hash(b))
    expect(Equal.equals(a, c)).toBe(false)
  })
})

describe("LogoutOutcome", () => {
  const describeOutcome = Logout.LogoutOutcome.$match({
    CurrentSessionRevoked: ({ sessionId }) => `session ${sessionId}`,
    SessionFamilyRevoked: ({ familyId }) => `family ${familyId}`
  })

  it("names what was revoked for each scope", () => {
    expect(describeOutcome(Logout.LogoutOutcome.CurrentSessionRevoked({ sessionId }))).toBe(`session ${sessionId}`)
    expect(describeOutcome(Logout.LogoutOutcome.SessionFamilyRevoked({ familyId }))).toBe(`family ${familyId}`)
  })

  it("outcomes are tagged values that compare by value", () => {
    const revoked = Logout.LogoutOutcome.SessionFamilyRevoked({ familyId })
    expect(revoked._tag).toBe("SessionFamilyRevoked")
    expect(Logout.LogoutOutcome.$is("SessionFamilyRevoked")(revoked)).toBe(true)
    expect(Logout.LogoutOutcome.$is("CurrentSessionRevoked")(revoked)).toBe(false)
    expect(Equal.equals(revoked, Logout.LogoutOutcome.SessionFamilyRevoked({ familyId }))).toBe(true)
  })
})

import { describe, expect, it } from "@effect/vitest"
import { Either, Option, pipe, Schema } from "effect"
import * as SessionContext from "../../src/SessionContext.js"

const delegate = new SessionContext.DelegateActor({ delegateId: "support-7", reason: "ticket follow-up" })
const system = new SessionContext.SystemActor({ service: "nightly-import" })

describe("building a context", () => {
  it("the empty context is the subject acting for itself with nothing else known", () => {
    const empty = SessionContext.empty
    expect(empty.actor._tag).toBe("Subject")
    expect(Option.isNone(empty.correlationId)).toBe(true)
    expect(empty.client).toEqual(SessionContext.emptyClient)
    expect(empty.attributes).toEqual({})
    expect(SessionContext.isEmpty(empty)).toBe(true)
  })

  it("each combinator sets its part, makes the context non-empty and leaves the original alone", () => {
    const empty = SessionContext.empty
    const variants = [
      SessionContext.withActor(delegate)(empty),
      SessionContext.withActor(system)(empty),
      SessionContext.withCorrelationId("req-123")(empty),
      SessionContext.withClient({ userAgent: "Firefox/140" })(empty),
      SessionContext.withClient({ ip: "2001:db8::1" })(empty),
      SessionContext.withClient({ deviceId: "device-1" })(empty),
      SessionContext.withAttribute("tenant", "acme")(empty)
    ]
    for (const context of variants) expect(SessionContext.isEmpty(context)).toBe(false)
    expect(SessionContext.isEmpty(empty)).toBe(true)
    expect(SessionContext.isEmpty(SessionContext.withActor(new SessionContext.SubjectActor())(empty))).toBe(true)
  })

  it("withClient keeps the fields it is not given", () => {
    const context = pipe(
      SessionContext.empty,
      SessionContext.withClient({ userAgent: "Firefox/140", ip: "203.0.113.7" }),
      SessionContext.withClient({ deviceId: "device-1" }),
      SessionContext.withClient({ ip: "198.51.100.2" })
    )
    expect(context.client.userAgent).toEqual(Option.some("Firefox/140"))
    expect(context.client.ip).toEqual(Option.some("198.51.100.2"))
    expect(context.client.deviceId).toEqual(Option.some("device-1"))
  })

  it("withAttribute adds and replaces one attribute", () => {
    const context = pipe(
      SessionContext.empty,
      SessionContext.withAttribute("tenant", "acme"),
      SessionContext.withAttribute("plan", "pro"),
      SessionContext.withAttribute("tenant", "globex")
    )
    expect(context.attributes).toEqual({ tenant: "globex", plan: "pro" })
    expect(SessionContext.empty.attributes).toEqual({})
  })

  it("withActor and withCorrelationId replace the previous value", () => {
    const context = pipe(
      SessionContext.empty,
      SessionContext.withActor(delegate),
      SessionContext.withCorrelationId("a"),
      SessionContext.withActor(system),
      SessionContext.withCorrelationId("b")
    )
    expect(context.actor).toEqual(system)
    expect(context.correlationId).toEqual(Option.some("b"))
  })
})

describe("Schema round-trips", () => {
  const full = pipe(
    SessionContext.empty,
    SessionContext.withActor(delegate),
    SessionContext.withCorrelationId("req-123"),
    SessionContext.withClient({ userAgent: "Firefox/140", ip: "2001:db8::1" }),
    SessionContext.withAttribute("tenant", "acme")
  )

  it("a full context encodes to plain JSON with nulls for unknown fields", () => {
    const encoded = Schema.encodeSync(SessionContext.SessionContext)(full)
    expect(encoded).toEqual({
      actor: { _tag: "Delegate", delegateId: "support-7", reason: "ticket follow-up" },
      correlationId: "req-123",
      client: { userAgent: "Firefox/140", ip: "2001:db8::1", deviceId: null },
      attributes: { tenant: "acme" }
    })
  })

  it("every actor and the empty context round-trip through JSON", () => {
    for (const context of [
      full,
      SessionContext.empty,
      SessionContext.withActor(system)(SessionContext.empty),
      SessionContext.withActor(new SessionContext.SubjectActor())(full)
    ]) {
      const json = JSON.stringify(Schema.encodeSync(SessionContext.SessionContext)(context))
      const decoded = Schema.decodeUnknownSync(SessionContext.SessionContext)(JSON.parse(json))
      expect(decoded).toEqual(context)
    }
  })

  it.prop("every context round-trips", [SessionContext.SessionContext], ([context]) => {
    const encoded = Schema.encodeSync(SessionContext.SessionContext)(context)
    expect(Schema.decodeUnknownSync(SessionContext.SessionContext)(encoded)).toEqual(context)
  })

  it("decoding rejects an unknown actor and a non-string attribute", () => {
    const encoded = Schema.encodeSync(SessionContext.SessionContext)(full)
    const decode = Schema.decodeUnknownEither(SessionContext.SessionContext)
    expect(Either.isLeft(decode({ ...encoded, actor: { _tag: "Root" } }))).toBe(true)
    expect(Either.isLeft(decode({ ...encoded, actor: { _tag: "Delegate", delegateId: "x" } }))).toBe(true)
    expect(Either.isLeft(decode({ ...encoded, attributes: { tenant: 1 } }))).toBe(true)
    expect(Either.isRight(Schema.decodeUnknownEither(SessionContext.Actor)({ _tag: "System", service: "s" }))).toBe(
      true
    )
  })
})

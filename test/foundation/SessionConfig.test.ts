import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, FastCheck, Layer, Option } from "effect"
import * as SessionConfig from "../../src/SessionConfig.js"

const invalidMessage = (input: SessionConfig.SessionConfigInput): string => {
  const result = SessionConfig.make(input)
  const error = Option.getOrThrow(Either.getLeft(result))
  expect(error._tag).toBe("ConfigError")
  expect(error.reason).toBe("Invalid")
  return error.message
}

const valid = (input: SessionConfig.SessionConfigInput) => Either.getOrThrow(SessionConfig.make(input))

const sameDuration = (actual: Duration.Duration, expected: Duration.DurationInput) =>
  expect(Duration.equals(actual, Duration.decode(expected))).toBe(true)

describe("defaults", () => {
  it("are the design's values", () => {
    const d = SessionConfig.defaults
    sameDuration(d.authTokenTtl, "15 minutes")
    sameDuration(d.refreshTokenTtl, "30 days")
    sameDuration(d.proactiveRenewalWindow, "2 minutes")
    sameDuration(d.renewalLeaseTtl, "30 seconds")
    sameDuration(d.clockSkewTolerance, "5 seconds")
    sameDuration(d.refreshReuseGrace, "10 seconds")
    expect(Option.isNone(d.absoluteSessionLifetime)).toBe(true)
    expect(Option.isNone(d.issuer)).toBe(true)
  })

  it("are what make() gives for no input, and pass validation when given explicitly", () => {
    expect(SessionConfig.make()).toEqual(Either.right(SessionConfig.defaults))
    expect(SessionConfig.make({})).toEqual(Either.right(SessionConfig.defaults))
    const d = SessionConfig.defaults
    expect(
      SessionConfig.make({
        authTokenTtl: d.authTokenTtl,
        refreshTokenTtl: d.refreshTokenTtl,
        proactiveRenewalWindow: d.proactiveRenewalWindow,
        renewalLeaseTtl: d.renewalLeaseTtl,
        clockSkewTolerance: d.clockSkewTolerance,
        refreshReuseGrace: d.refreshReuseGrace
      })
    ).toEqual(Either.right(SessionConfig.defaults))
  })
})

describe("rules", () => {
  it.each([
    ["authTokenTtl", { authTokenTtl: 0 }],
    ["authTokenTtl", { authTokenTtl: "-5 minutes" }],
    ["authTokenTtl", { authTokenTtl: Duration.infinity }],
    ["refreshTokenTtl", { refreshTokenTtl: "0 seconds" }],
    ["refreshTokenTtl", { refreshTokenTtl: -1 }],
    ["refreshTokenTtl", { refreshTokenTtl: Duration.infinity }],
    ["renewalLeaseTtl", { renewalLeaseTtl: Duration.zero }],
    ["renewalLeaseTtl", { renewalLeaseTtl: Duration.infinity }]
  ] as const)("a zero, negative or infinite %s is rejected (%o)", (field, input) => {
    const message = invalidMessage(input)
    expect(message).toContain(field)
    expect(message).toContain("positive")
  })

  it("the proactive window may equal the auth TTL but not exceed it", () => {
    expect(invalidMessage({ authTokenTtl: "1 minute", proactiveRenewalWindow: "61 seconds" })).toContain(
      "proactiveRenewalWindow"
    )
    expect(invalidMessage({ proactiveRenewalWindow: "16 minutes" })).toContain("proactiveRenewalWindow")
    expect(invalidMessage({ proactiveRenewalWindow: Duration.infinity })).toContain("proactiveRenewalWindow")
    sameDuration(
      valid({ authTokenTtl: "1 minute", proactiveRenewalWindow: "60 seconds" }).proactiveRenewalWindow,
      60_000
    )
    sameDuration(valid({ proactiveRenewalWindow: 0 }).proactiveRenewalWindow, 0)
  })

  it("the reuse grace may equal the auth TTL but not exceed it", () => {
    expect(
      invalidMessage({ authTokenTtl: "1 minute", proactiveRenewalWindow: 0, refreshReuseGrace: "61 seconds" })
    ).toContain("refreshReuseGrace")
    expect(invalidMessage({ refreshReuseGrace: Duration.infinity })).toContain("refreshReuseGrace")
    sameDuration(
      valid({ authTokenTtl: "1 minute", proactiveRenewalWindow: 0, refreshReuseGrace: "1 minute" }).refreshReuseGrace,
      "1 minute"
    )
    sameDuration(valid({ refreshReuseGrace: 0 }).refreshReuseGrace, 0)
  })

  it("the skew tolerance must be finite and may be zero; a negative one counts as zero", () => {
    expect(invalidMessage({ clockSkewTolerance: Duration.infinity })).toContain("clockSkewTolerance")
    sameDuration(valid({ clockSkewTolerance: 0 }).clockSkewTolerance, 0)
    sameDuration(valid({ clockSkewTolerance: "-5 seconds" }).clockSkewTolerance, 0)
    sameDuration(valid({ clockSkewTolerance: "1 hour" }).clockSkewTolerance, "1 hour")
  })

  it("an absolute lifetime must be positive and finite when given", () => {
    const rejected: ReadonlyArray<Duration.DurationInput> = [0, "-1 day", Duration.infinity]
    for (const absoluteSessionLifetime of rejected) {
      expect(invalidMessage({ absoluteSessionLifetime })).toContain("absoluteSessionLifetime")
    }
    const config = valid({ absoluteSessionLifetime: "90 days" })
    expect(Option.map(config.absoluteSessionLifetime, Duration.toDays)).toEqual(Option.some(90))
    expect(Option.isNone(valid({ absoluteSessionLifetime: undefined }).absoluteSessionLifetime)).toBe(true)
  })

  it("an issuer must not be blank when given", () => {
    for (const issuer of ["", "   ", "\t"]) expect(invalidMessage({ issuer })).toContain("issuer")
    expect(valid({ issuer: "https://auth.example.com" }).issuer).toEqual(Option.some("https://auth.example.com"))
    expect(Option.isNone(valid({ issuer: undefined }).issuer)).toBe(true)
  })

  it("a malformed duration is rejected, naming the field", () => {
    expect(invalidMessage({ authTokenTtl: "fifteen minutes" as Duration.DurationInput })).toContain("authTokenTtl")
    expect(invalidMessage({ renewalLeaseTtl: "30 parsecs" as Duration.DurationInput })).toContain("renewalLeaseTtl")
  })

  it.prop(
    "valid iff the window and the grace both fit inside a positive auth TTL",
    [
      FastCheck.integer({ min: 0, max: 10_000 }),
      FastCheck.integer({ min: 0, max: 10_000 }),
      FastCheck.integer({ min: 0, max: 10_000 })
    ],
    ([authTokenTtl, proactiveRenewalWindow, refreshReuseGrace]) => {
      const result = SessionConfig.make({ authTokenTtl, proactiveRenewalWindow, refreshReuseGrace })
      const expected = authTokenTtl > 0 && proactiveRenewalWindow <= authTokenTtl && refreshReuseGrace <= authTokenTtl
      expect(Either.isRight(result)).toBe(expected)
    }
  )
})

describe("layers", () => {
  it.effect("layer provides a valid configuration", () =>
    Effect.gen(function* () {
      const config = yield* Effect.provide(
        SessionConfig.SessionConfig,
        SessionConfig.layer({ issuer: "https://a.example" })
      )
      expect(config.issuer).toEqual(Option.some("https://a.example"))
      sameDuration(config.authTokenTtl, "15 minutes")
    })
  )

  it.effect("layer fails with ConfigError for an invalid configuration", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(SessionConfig.SessionConfig, SessionConfig.layer({ renewalLeaseTtl: 0 }))
      )
      expect(error._tag).toBe("ConfigError")
      expect(error.message).toContain("renewalLeaseTtl")
    })
  )

  const fromEnv = (env: Record<string, string>) =>
    Effect.provide(
      SessionConfig.SessionConfig,
      SessionConfig.layerFromEnv.pipe(
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
      )
    )

  it.effect("layerFromEnv gives the defaults when no variable is set", () =>
    Effect.gen(function* () {
      expect(yield* fromEnv({})).toEqual(SessionConfig.defaults)
    })
  )

  it.effect("layerFromEnv reads every SESSIONS_* variable", () =>
    Effect.gen(function* () {
      const config = yield* fromEnv({
        SESSIONS_AUTH_TOKEN_TTL: "10 minutes",
        SESSIONS_REFRESH_TOKEN_TTL: "7 days",
        SESSIONS_PROACTIVE_RENEWAL_WINDOW: "1 minute",
        SESSIONS_RENEWAL_LEASE_TTL: "20 seconds",
        SESSIONS_CLOCK_SKEW_TOLERANCE: "2 seconds",
        SESSIONS_REFRESH_REUSE_GRACE: "3 seconds",
        SESSIONS_ABSOLUTE_SESSION_LIFETIME: "90 days",
        SESSIONS_ISSUER: "https://auth.example.com"
      })
      sameDuration(config.authTokenTtl, "10 minutes")
      sameDuration(config.refreshTokenTtl, "7 days")
      sameDuration(config.proactiveRenewalWindow, "1 minute")
      sameDuration(config.renewalLeaseTtl, "20 seconds")
      sameDuration(config.clockSkewTolerance, "2 seconds")
      sameDuration(config.refreshReuseGrace, "3 seconds")
      expect(Option.map(config.absoluteSessionLifetime, Duration.toDays)).toEqual(Option.some(90))
      expect(config.issuer).toEqual(Option.some("https://auth.example.com"))
    })
  )

  it.effect("layerFromEnv fails with ConfigError for a malformed variable or an invalid combination", () =>
    Effect.gen(function* () {
      const malformed = yield* Effect.flip(fromEnv({ SESSIONS_RENEWAL_LEASE_TTL: "soon" }))
      expect(malformed._tag).toBe("ConfigError")
      expect(malformed.message).toContain("malformed")

      const combination = yield* Effect.flip(fromEnv({ SESSIONS_PROACTIVE_RENEWAL_WINDOW: "20 minutes" }))
      expect(combination._tag).toBe("ConfigError")
      expect(combination.message).toContain("proactiveRenewalWindow")

      const blank = yield* Effect.flip(fromEnv({ SESSIONS_ISSUER: " " }))
      expect(blank.message).toContain("issuer")
    })
  )
})

import { inspect } from "node:util"
import { afterEach, describe, expect, it, vi } from "@effect/vitest"
import { DateTime, Effect, Either, Layer, Logger, Option, Redacted, Schema } from "effect"
import * as Session from "../../src/Session.js"
import * as Tokens from "../../src/Tokens.js"

const alphanumeric = /^[A-Za-z0-9]+$/

const refreshToken = (plaintext: string) => new Tokens.RefreshToken({ value: Redacted.make(plaintext) })

const errorOf = <A, E>(result: Either.Either<A, E>): E => Option.getOrThrow(Either.getLeft(result))

describe("presented material", () => {
  it("authTokenFromString rejects empty and whitespace-only input", () => {
    for (const raw of ["", " ", "\t\n\r ", "\u00a0\u2003"]) {
      const error = errorOf(Tokens.authTokenFromString(raw))
      expect(error._tag).toBe("TokenError")
      expect(error.reason).toBe("InvalidTokenMaterial")
    }
    const token = Either.getOrThrow(Tokens.authTokenFromString("eyJhbGciOiJFUzM4NCJ9.e30.sig"))
    expect(Redacted.value(token.value)).toBe("eyJhbGciOiJFUzM4NCJ9.e30.sig")
  })

  it.each([
    ["empty", "", "InvalidTokenMaterial"],
    ["one space", " ", "InvalidTokenMaterial"],
    ["whitespace of a valid length", " ".repeat(64), "InvalidTokenMaterial"],
    ["mixed whitespace", "\t\n\r \u00a0".repeat(10), "InvalidTokenMaterial"],
    ["one character", "Q", "InvalidRefreshTokenLength"],
    ["31 characters", "Zq9".repeat(10).concat("Z"), "InvalidRefreshTokenLength"],
    ["1025 characters", "a".repeat(1_025), "InvalidTokenMaterial"],
    ["non-ASCII", "é".repeat(40), "InvalidTokenMaterial"],
    ["an inner space", `${"a".repeat(20)} ${"a".repeat(20)}`, "InvalidTokenMaterial"],
    ["a control character", `${"a".repeat(40)}\u0000`, "InvalidTokenMaterial"]
  ])("refreshTokenFromString rejects %s", (_, raw, reason) => {
    for (const result of [Tokens.refreshTokenFromString(raw), Tokens.refreshTokenFromRedacted(Redacted.make(raw))]) {
      const error = errorOf(result)
      expect(error._tag).toBe("TokenError")
      expect(error.reason).toBe(reason)
      if (raw.trim().length > 0) expect(error.message).not.toContain(raw)
    }
  })

  it("refreshTokenFromString accepts 32 to 1024 printable ASCII characters", () => {
    for (const raw of ["a".repeat(32), "a".repeat(1_024), "!~".repeat(16), "x".repeat(64)]) {
      const token = Either.getOrThrow(Tokens.refreshTokenFromString(raw))
      expect(Redacted.value(token.value)).toBe(raw)
      expect(Redacted.value(Either.getOrThrow(Tokens.refreshTokenFromRedacted(Redacted.make(raw))).value)).toBe(raw)
    }
  })

  it("refreshTokenLength accepts integers from 32 to 1024 only", () => {
    for (const n of [32, 64, 1_024]) expect(Either.getOrThrow(Tokens.refreshTokenLength(n))).toBe(n)
    for (const n of [0, 31, 1_025, 32.5, Number.NaN, Number.POSITIVE_INFINITY, -64]) {
      expect(errorOf(Tokens.refreshTokenLength(n)).reason).toBe("InvalidRefreshTokenLength")
      expect(Schema.is(Tokens.RefreshTokenLength)(n)).toBe(false)
    }
    expect(Tokens.defaultRefreshTokenLength).toBe(64)
    expect(Tokens.minRefreshTokenLength).toBe(32)
  })

  it("RefreshTokenHash accepts 64 lowercase hex characters only", () => {
    const is = Schema.is(Tokens.RefreshTokenHash)
    expect(is("a".repeat(64))).toBe(true)
    expect(is("0123456789abcdef".repeat(4))).toBe(true)
    expect(is("A".repeat(64))).toBe(false)
    expect(is("a".repeat(63))).toBe(false)
    expect(is("a".repeat(65))).toBe(false)
    expect(is("g".repeat(64))).toBe(false)
  })
})

describe("generator", () => {
  it("the alphabet is the 62 ASCII letters and digits", () => {
    expect(Tokens.refreshTokenAlphabet).toHaveLength(62)
    expect(new Set(Tokens.refreshTokenAlphabet).size).toBe(62)
    expect(Tokens.refreshTokenAlphabet).toMatch(alphanumeric)
  })

  it.effect("generates 64 alphanumeric characters by default, and the requested length otherwise", () =>
    Effect.gen(function* () {
      const token = yield* Tokens.makeRefreshTokenGenerator().generate
      expect(Redacted.value(token.value)).toHaveLength(64)
      expect(Redacted.value(token.value)).toMatch(alphanumeric)

      for (const n of [32, 65, 1_024]) {
        const length = Either.getOrThrow(Tokens.refreshTokenLength(n))
        const generator = yield* Effect.provide(Tokens.RefreshTokenGenerator, Tokens.refreshTokenGeneratorLayer(length))
        const generated = Redacted.value((yield* generator.generate).value)
        expect(generated).toHaveLength(n)
        expect(generated).toMatch(alphanumeric)
        // A generated token is also acceptable when presented back.
        expect(Either.isRight(Tokens.refreshTokenFromString(generated))).toBe(true)
      }
    })
  )

  it.effect("100,000 tokens: no repeat, and characters uniform over the alphabet (chi-square)", () =>
    Effect.gen(function* () {
      const { generate } = Tokens.makeRefreshTokenGenerator()
      const seen = new Set<string>()
      const counts = new Map<string, number>()
      const draws = 100_000
      for (let i = 0; i < draws; i++) {
        const plaintext = Redacted.value((yield* generate).value)
        seen.add(plaintext)
        for (const c of plaintext) counts.set(c, (counts.get(c) ?? 0) + 1)
      }
      expect(seen.size).toBe(draws)
      expect([...counts.keys()].sort().join("")).toBe([...Tokens.refreshTokenAlphabet].sort().join(""))

      const total = draws * 64
      const expected = total / 62
      let chiSquare = 0
      for (const count of counts.values()) chiSquare += (count - expected) ** 2 / expected
      // 61 degrees of freedom; 128.52 is the critical value at p = 1e-6, so a fair generator fails about
      // once in a million runs. Plain `byte % 62` over all 256 byte values would favour eight symbols by
      // 25% and score in the tens of thousands here.
      expect(chiSquare).toBeLessThan(128.52)
    })
  )
})

// The generator is the caller under test here: the random source is replaced so every byte value can be
// fed in deliberately.
describe("rejection sampling", () => {
  afterEach(() => {
    vi.doUnmock("node:crypto")
    vi.resetModules()
  })

  const withRandomSource = async (fill: (buffer: Uint8Array, call: number) => void) => {
    vi.resetModules()
    let calls = 0
    vi.doMock("node:crypto", async (importOriginal) => {
      const original = await importOriginal<typeof import("node:crypto")>()
      return {
        ...original,
        randomFillSync: (buffer: Uint8Array) => {
          fill(buffer, calls++)
          return buffer
        }
      }
    })
    const module: typeof Tokens = await import("../../src/Tokens.js")
    return {
      generate: (length: number) => {
        calls = 0
        const generator = module.makeRefreshTokenGenerator(Either.getOrThrow(module.refreshTokenLength(length)))
        return Effect.runSync(Effect.either(generator.generate))
      },
      calls: () => calls
    }
  }

  it("maps each byte below 248 to alphabet[byte % 62], skips 248..255 and draws again", async () => {
    let firstFill = 0
    const source = await withRandomSource((buffer, call) => buffer.fill(call === 0 ? firstFill : 0))
    const perSymbol = new Map<string, number>()
    for (let byte = 0; byte < 256; byte++) {
      firstFill = byte
      const token = Redacted.value(Either.getOrThrow(source.generate(32)).value)
      if (byte < 248) {
        const symbol = Tokens.refreshTokenAlphabet.charAt(byte % 62)
        expect(token).toBe(symbol.repeat(32))
        expect(source.calls()).toBe(1)
        perSymbol.set(symbol, (perSymbol.get(symbol) ?? 0) + 1)
      } else {
        // Every byte of the first fill was rejected: the token comes entirely from the second fill.
        expect(token).toBe("A".repeat(32))
        expect(source.calls()).toBe(2)
      }
    }
    // 248 accepted byte values, exactly 4 for each of the 62 symbols: no symbol is favoured.
    expect(perSymbol.size).toBe(62)
    expect(new Set(perSymbol.values())).toEqual(new Set([4]))
  })

  it("keeps accepted bytes in order across refills", async () => {
    // First fill: 248..255 repeated (all rejected) except one accepted byte 61 ("9") at the end.
    const source = await withRandomSource((buffer, call) => {
      if (call === 0) {
        for (let i = 0; i < buffer.length; i++) buffer[i] = 248 + (i % 8)
        buffer[buffer.length - 1] = 61
      } else {
        for (let i = 0; i < buffer.length; i++) buffer[i] = i
      }
    })
    const token = Redacted.value(Either.getOrThrow(source.generate(32)).value)
    expect(token).toBe(`9${Tokens.refreshTokenAlphabet.slice(0, 31)}`)
    expect(source.calls()).toBe(2)
  })

  it("a failing random source is GenerationFailed", async () => {
    const source = await withRandomSource(() => {
      throw new Error("entropy source unavailable")
    })
    const error = errorOf(source.generate(32))
    expect(error._tag).toBe("TokenError")
    expect(error.reason).toBe("GenerationFailed")
    expect(error.message).not.toContain("entropy")
  })
})

describe("hashers", () => {
  const hashWith = (hasher: Tokens.RefreshTokenHasher["Type"], plaintext: string) =>
    Effect.runSync(hasher.hash(refreshToken(plaintext)))

  it("SHA-256 matches the FIPS 180-2 test vectors", () => {
    // FIPS 180-2, appendix B.2 (448-bit message).
    expect(hashWith(Tokens.sha256Hasher, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    )
    // FIPS 180-2, appendix B.3 (one million "a").
    expect(hashWith(Tokens.sha256Hasher, "a".repeat(1_000_000))).toBe(
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    )
  })

  it.effect("the SHA-256 layer hashes a presented token to its stored form", () =>
    Effect.gen(function* () {
      const hasher = yield* Effect.provide(Tokens.RefreshTokenHasher, Tokens.sha256HasherLayer)
      const token = yield* Tokens.refreshTokenFromString("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
      const hash = yield* hasher.hash(token)
      expect(hash).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
      expect(Schema.is(Tokens.RefreshTokenHash)(hash)).toBe(true)
    })
  )

  // RFC 4231 test cases 6 and 7: a 131-byte key of 0xaa.
  const rfc4231Key = new Uint8Array(131).fill(0xaa)

  it("HMAC-SHA-256 matches RFC 4231 test cases 6 and 7", () => {
    const hasher = Either.getOrThrow(Tokens.makeHmacSha256Hasher(Redacted.make(rfc4231Key)))
    expect(hashWith(hasher, "Test Using Larger Than Block-Size Key - Hash Key First")).toBe(
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    )
    expect(
      hashWith(
        hasher,
        "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
      )
    ).toBe("9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2")
  })

  it("a text secret is keyed by its UTF-8 bytes, and at least 32 bytes are required", () => {
    const plaintext = "x".repeat(64)
    const text = Either.getOrThrow(Tokens.makeHmacSha256Hasher(Redacted.make("é".repeat(16))))
    const bytes = Either.getOrThrow(
      Tokens.makeHmacSha256Hasher(Redacted.make(new TextEncoder().encode("é".repeat(16))))
    )
    expect(hashWith(text, plaintext)).toBe(hashWith(bytes, plaintext))
    expect(hashWith(text, plaintext)).not.toBe(hashWith(Tokens.sha256Hasher, plaintext))

    // 16 characters but 31 bytes: too short.
    for (const short of [Redacted.make(`${"é".repeat(15)}x`), Redacted.make(new Uint8Array(31)), Redacted.make("")]) {
      const error = errorOf(Tokens.makeHmacSha256Hasher(short))
      expect(error._tag).toBe("ConfigError")
      expect(error.reason).toBe("Invalid")
    }
    expect(Either.isRight(Tokens.makeHmacSha256Hasher(Redacted.make(new Uint8Array(32))))).toBe(true)
  })

  it("different secrets give different hashes, and the key bytes are copied", () => {
    const plaintext = "y".repeat(64)
    const key = new Uint8Array(32).fill(1)
    const hasher = Either.getOrThrow(Tokens.makeHmacSha256Hasher(Redacted.make(key)))
    const before = hashWith(hasher, plaintext)
    key.fill(2)
    expect(hashWith(hasher, plaintext)).toBe(before)
    const other = Either.getOrThrow(Tokens.makeHmacSha256Hasher(Redacted.make(key)))
    expect(hashWith(other, plaintext)).not.toBe(before)
  })

  it.effect("the HMAC layer fails with ConfigError for a short secret", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.provide(Tokens.RefreshTokenHasher, Tokens.hmacSha256HasherLayer(Redacted.make("too short")))
      )
      expect(error._tag).toBe("ConfigError")
      const hasher = yield* Effect.provide(
        Tokens.RefreshTokenHasher,
        Tokens.hmacSha256HasherLayer(Redacted.make(rfc4231Key))
      )
      expect(yield* hasher.hash(refreshToken("Test Using Larger Than Block-Size Key - Hash Key First"))).toBe(
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
      )
    })
  )
})

describe("token pairs", () => {
  const session = new Session.Session({
    sessionId: Session.SessionId.make("0195a0c0-0000-7000-8000-000000000001"),
    familyId: Session.SessionFamilyId.make("0195a0c0-0000-7000-8000-000000000002"),
    subjectId: Session.SubjectId.make("user-42"),
    createdAt: DateTime.unsafeMake(0),
    expiresAt: DateTime.unsafeMake(60_000),
    lastSeenAt: Option.none(),
    revoked: false
  })

  // The pair issuer is under test; the access-token issuer is a stand-in.
  const stubAuthIssuer = Layer.succeed(Tokens.AuthTokenIssuer, {
    issue: (s) => Effect.succeed(new Tokens.AuthToken({ value: Redacted.make(`access-for-${s.sessionId}`) }))
  })

  it.effect("tokenPairIssuerLayer mints an access token, a fresh refresh token and its SHA-256 hash", () =>
    Effect.gen(function* () {
      const issuer = yield* Effect.provide(
        Tokens.TokenPairIssuer,
        Tokens.tokenPairIssuerLayer.pipe(Layer.provide(Layer.merge(stubAuthIssuer, Tokens.defaultTokenMaterialLayer)))
      )
      const first = yield* issuer.issue(session)
      const second = yield* issuer.issue(session)

      expect(Redacted.value(first.tokens.authToken.value)).toBe(`access-for-${session.sessionId}`)
      const plaintext = Redacted.value(first.tokens.refreshToken.value)
      expect(plaintext).toHaveLength(64)
      expect(plaintext).toMatch(alphanumeric)
      expect(first.refreshTokenHash).toBe(yield* Tokens.sha256Hasher.hash(first.tokens.refreshToken))
      expect(Redacted.value(second.tokens.refreshToken.value)).not.toBe(plaintext)
      expect(second.refreshTokenHash).not.toBe(first.refreshTokenHash)
    })
  )
})

describe("redaction", () => {
  const plaintext = "SuperSecretRefreshToken0123456789abcdefABCDEF"
  const token = Either.getOrThrow(Tokens.refreshTokenFromString(plaintext))
  const pair = new Tokens.IssuedTokenPair({
    authToken: new Tokens.AuthToken({ value: Redacted.make("AccessTokenPlaintextValue") }),
    refreshToken: token
  })

  const captureLogs = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<ReadonlyArray<string>, E> => {
    const lines: Array<string> = []
    const collect = <O>(logger: Logger.Logger<unknown, O>, render: (output: O) => string) =>
      Logger.make<unknown, void>((options) => {
        lines.push(render(logger.log(options)))
      })
    const loggers = Layer.mergeAll(
      Logger.replace(
        Logger.defaultLogger,
        collect(Logger.logfmtLogger, (s) => s)
      ),
      Logger.add(collect(Logger.stringLogger, (s) => s)),
      Logger.add(collect(Logger.jsonLogger, (s) => s)),
      Logger.add(collect(Logger.structuredLogger, (o) => JSON.stringify(o)))
    )
    return Effect.as(Effect.provide(effect, loggers), lines)
  }

  it("String, JSON.stringify and util.inspect never show the plaintext", () => {
    for (const value of [token, pair, token.value]) {
      for (const rendered of [String(value), JSON.stringify(value), inspect(value, { depth: 10 }), `${value}`]) {
        expect(rendered).not.toContain(plaintext)
        expect(rendered).not.toContain("AccessTokenPlaintextValue")
      }
    }
    expect(JSON.stringify(token)).toContain("<redacted>")
  })

  it.effect("Effect.log never shows the plaintext, whatever the logger", () =>
    Effect.gen(function* () {
      const lines = yield* captureLogs(
        Effect.gen(function* () {
          yield* Effect.log("issued", token)
          yield* Effect.logInfo(pair)
          yield* Effect.logWarning({ presented: token.value })
          yield* Effect.log("annotated").pipe(Effect.annotateLogs({ token, pair }))
          yield* Effect.logError("with cause").pipe(Effect.annotateLogs("refreshToken", token.value))
        })
      )
      expect(lines.length).toBe(20)
      for (const line of lines) {
        expect(line).not.toContain(plaintext)
        expect(line).not.toContain("AccessTokenPlaintextValue")
      }
      expect(lines.some((line) => line.includes("redacted"))).toBe(true)
    })
  )

  it.effect("the log capture does see plaintext when it is logged (control)", () =>
    Effect.gen(function* () {
      const lines = yield* captureLogs(Effect.log(Redacted.value(token.value)))
      expect(lines).toHaveLength(4)
      for (const line of lines) expect(line).toContain(plaintext)
    })
  )
})

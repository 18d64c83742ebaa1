import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import * as SessionErrors from "../../src/SessionErrors.js"
import * as Tokens from "../../src/Tokens.js"

const everyError: ReadonlyArray<SessionErrors.SessionError> = [
  SessionErrors.invalidConfig("authTokenTtl must be positive and finite"),
  SessionErrors.tokenError("HashFailed", "Hashing the refresh token failed"),
  new SessionErrors.RenewalError({ reason: "RotationFailed", message: "The rotation could not be stored" }),
  SessionErrors.repositoryError("Backend", "The database is unavailable"),
  SessionErrors.revocationError("SessionFamilyNotFound", "No such session family"),
  new SessionErrors.UnimplementedError({ reason: "Unimplemented", message: "purgeExpired is not provided" })
]

// Exhaustive over the union: adding an error class without handling it here is a type error.
const kind = (error: SessionErrors.SessionError): string => {
  switch (error._tag) {
    case "ConfigError":
      return "config"
    case "TokenError":
      return "token"
    case "RenewalError":
      return "renewal"
    case "RepositoryError":
      return "repository"
    case "RevocationError":
      return "revocation"
    case "UnimplementedError":
      return "unimplemented"
  }
}

describe("error classes", () => {
  it("each is a tagged Error whose message is the safe message", () => {
    for (const error of everyError) {
      expect(error).toBeInstanceOf(Error)
      expect(error.name).toBe(error._tag)
      expect(error.message.length).toBeGreaterThan(0)
      expect(String(error)).toContain(error.message)
    }
    expect(everyError.map(kind)).toEqual(["config", "token", "renewal", "repository", "revocation", "unimplemented"])
  })

  it("the constructors build the right class with the given reason and message", () => {
    const config = SessionErrors.invalidConfig("bad")
    expect(config).toBeInstanceOf(SessionErrors.ConfigError)
    expect({ tag: config._tag, reason: config.reason, message: config.message }).toEqual({
      tag: "ConfigError",
      reason: "Invalid",
      message: "bad"
    })

    const token = SessionErrors.tokenError("InvalidRefreshTokenLength", "short")
    expect(token).toBeInstanceOf(SessionErrors.TokenError)
    expect([token.reason, token.message]).toEqual(["InvalidRefreshTokenLength", "short"])

    const repository = SessionErrors.repositoryError("Conflict", "duplicate session id")
    expect(repository).toBeInstanceOf(SessionErrors.RepositoryError)
    expect([repository.reason, repository.message]).toEqual(["Conflict", "duplicate session id"])

    const revocation = SessionErrors.revocationError("SessionNotFound", "no such session")
    expect(revocation).toBeInstanceOf(SessionErrors.RevocationError)
    expect([revocation.reason, revocation.message]).toEqual(["SessionNotFound", "no such session"])
  })
})

describe("in effects", () => {
  it.effect("an error can be yielded and caught by its tag", () =>
    Effect.gen(function* () {
      const failing = Effect.gen(function* () {
        return yield* SessionErrors.repositoryError("Backend", "The database is unavailable")
      })
      const exit = yield* Effect.exit(failing)
      expect(Exit.isFailure(exit)).toBe(true)

      const caught = yield* failing.pipe(
        Effect.catchTag("RepositoryError", (e) => Effect.succeed(`${e.reason}: ${e.message}`))
      )
      expect(caught).toBe("Backend: The database is unavailable")
    })
  )

  it.effect("catchTags handles every error of the union", () =>
    Effect.gen(function* () {
      for (const error of everyError) {
        const handled = yield* Effect.fail(error).pipe(
          Effect.catchTags({
            ConfigError: (e) => Effect.succeed(`config ${e.reason}`),
            TokenError: (e) => Effect.succeed(`token ${e.reason}`),
            RenewalError: (e) => Effect.succeed(`renewal ${e.reason}`),
            RepositoryError: (e) => Effect.succeed(`repository ${e.reason}`),
            RevocationError: (e) => Effect.succeed(`revocation ${e.reason}`),
            UnimplementedError: (e) => Effect.succeed(`unimplemented ${e.reason}`)
          })
        )
        expect(handled).toBe(`${kind(error)} ${error.reason}`)
      }
    })
  )

  it.effect("the TokenError example: a presented empty token is InvalidTokenMaterial", () =>
    Effect.gen(function* () {
      const reason = yield* Tokens.refreshTokenFromString("").pipe(
        Effect.map(() => "accepted"),
        Effect.catchTag("TokenError", (e) => Effect.succeed(e.reason))
      )
      expect(reason).toBe("InvalidTokenMaterial")
    })
  )

  it.effect("a failure's rendered cause shows the safe message", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.fail(SessionErrors.tokenError("GenerationFailed", "The random source failed"))
      )
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(Cause.pretty(exit.cause)).toContain("The random source failed")
    })
  )
})

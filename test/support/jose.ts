/**
 * Fixtures for the access-token tests: a configuration with an issuer, sessions, and the authority's
 * layers built on generated keys.
 */
import { DateTime, Duration, Effect, Layer, Option, Redacted, TestClock } from "effect"
import * as AuthTokens from "../../src/AuthTokens.js"
import * as Session from "../../src/Session.js"
import * as SessionConfig from "../../src/SessionConfig.js"
import * as Tokens from "../../src/Tokens.js"

export const issuer = "https://auth.test.example"

/** 2025-01-01T00:00:00Z, a whole second, so `iat` equals the clock. */
export const epoch = Date.UTC(2025, 0, 1)

export const startClock = TestClock.setTime(epoch)

export const configLayer = (input: SessionConfig.SessionConfigInput = {}) => SessionConfig.layer({ issuer, ...input })

export const makeSession = (subject = "user-42"): Effect.Effect<Session.Session> =>
  Effect.gen(function* () {
    const now = yield* DateTime.now
    return new Session.Session({
      sessionId: yield* Session.makeSessionId,
      familyId: yield* Session.makeSessionFamilyId,
      subjectId: Session.SubjectId.make(subject),
      createdAt: now,
      expiresAt: DateTime.addDuration(now, Duration.days(30)),
      lastSeenAt: Option.none(),
      revoked: false
    })
  })

/** Issuer, local verifier, keys and config, all exposed. */
export const authorityLayer = (keyOptions: AuthTokens.KeyOptions = {}, config: SessionConfig.SessionConfigInput = {}) =>
  Layer.mergeAll(AuthTokens.jwtIssuerLayer, AuthTokens.localVerifierLayer).pipe(
    Layer.provideMerge(AuthTokens.generatedSigningKeysLayer(keyOptions)),
    Layer.provideMerge(configLayer(config))
  )

export const issue = (session: Session.Session) => Effect.flatMap(Tokens.AuthTokenIssuer, (i) => i.issue(session))

export const classify = (token: Tokens.AuthToken) =>
  Effect.flatMap(AuthTokens.AuthTokenVerifier, (verifier) => verifier.classify(token))

export const verify = (token: Tokens.AuthToken) =>
  Effect.flatMap(AuthTokens.AuthTokenVerifier, (verifier) => verifier.verify(token))

export const raw = (token: Tokens.AuthToken): string => Redacted.value(token.value)

export const token = (jwt: string) => new Tokens.AuthToken({ value: Redacted.make(jwt) })

export const segments = (jwt: string): { header: unknown; payload: unknown } => {
  const [header = "", payload = ""] = jwt.split(".")
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))
  }
}

/**
 * Small steps shared by the workflow tests: log in, renew, hash, revoke, and typed assertions on
 * tagged values.
 */
import { expect } from "@effect/vitest"
import { Duration, Effect, Either, TestClock } from "effect"
import * as Logout from "../../src/Logout.js"
import * as Renewal from "../../src/Renewal.js"
import type * as SessionContext from "../../src/SessionContext.js"
import { SessionIssuer } from "../../src/SessionIssuer.js"
import { SessionRenewer } from "../../src/SessionRenewer.js"
import { SessionRevoker } from "../../src/SessionRevoker.js"
import * as Tokens from "../../src/Tokens.js"

/** 2030-01-01T00:00:00Z: tests start their `TestClock` here rather than at the epoch. */
export const start = Date.UTC(2030, 0, 1)

export const startClock: Effect.Effect<void> = TestClock.setTime(start)

export const valid = Renewal.AuthTokenState.Valid({ expiresIn: Duration.minutes(10) })
export const nearExpiry = Renewal.AuthTokenState.NearExpiry({ expiresIn: Duration.seconds(30) })
export const expired = Renewal.AuthTokenState.Expired({ expiredFor: Duration.seconds(5) })
export const invalid = Renewal.AuthTokenState.Invalid()

export const login = (subjectId = "alice", context?: SessionContext.SessionContext) =>
  Effect.flatMap(SessionIssuer, (issuer) => issuer.issue(subjectId, context))

export const renew = (
  refreshToken: Tokens.RefreshToken,
  authTokenState: Renewal.AuthTokenState = nearExpiry,
  requirement: Renewal.RenewalRequirement = "Proactive"
) => Effect.flatMap(SessionRenewer, (renewer) => renewer.renew({ authTokenState, requirement, refreshToken }))

export const hashOf = (token: Tokens.RefreshToken) =>
  Effect.flatMap(Tokens.RefreshTokenHasher, (hasher) => hasher.hash(token))

export const revoke = (issued: Tokens.IssuedSessionTokens, scope: Logout.LogoutScope) =>
  Effect.flatMap(SessionRevoker, (revoker) =>
    revoker.revoke(
      new Logout.LogoutRequest({ sessionId: issued.session.sessionId, familyId: issued.session.familyId, scope })
    )
  )

/** A well-formed refresh token that was never issued. */
export const neverIssued: Tokens.RefreshToken = Either.getOrThrow(Tokens.refreshTokenFromString("Z".repeat(64)))

/** Asserts the tag and narrows the value to that member of the union. */
export const expectTag = <A extends { readonly _tag: string }, T extends A["_tag"]>(
  value: A,
  tag: T
): Extract<A, { readonly _tag: T }> => {
  const matches = (v: A): v is Extract<A, { readonly _tag: T }> => v._tag === tag
  if (!matches(value)) return expect.fail(`expected ${tag}, got ${value._tag}`)
  return value
}

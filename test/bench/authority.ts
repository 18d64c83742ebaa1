/**
 * The authority under measurement: `Sessions.layerWithDefaults` with the jose issuer and local verifier
 * over one shared signing key, on a given repository, in a `ManagedRuntime` built once. The operations
 * the benchmark runs against it (renew, issue, classify) tally every outcome, so a run that measured
 * rejections instead of renewals says so.
 */
import { Duration, Effect, Either, Layer, type LogLevel, Logger, ManagedRuntime, Redacted } from "effect"
import * as AuthTokens from "../../src/AuthTokens.js"
import * as Renewal from "../../src/Renewal.js"
import * as SessionConfig from "../../src/SessionConfig.js"
import { SessionIssuer } from "../../src/SessionIssuer.js"
import { SessionRenewer } from "../../src/SessionRenewer.js"
import type { SessionRepository } from "../../src/SessionRepository.js"
import * as Sessions from "../../src/Sessions.js"
import * as Tokens from "../../src/Tokens.js"
import { benchIssuer, type FloorKeys } from "./floors.js"
import { type Operation, repeat } from "./harness.js"

type Services = Sessions.Services | AuthTokens.AuthTokenVerifier | SessionRepository

export interface Authority {
  readonly name: string
  readonly runtime: ManagedRuntime.ManagedRuntime<Services, unknown>
  readonly issuer: SessionIssuer["Type"]
  readonly renewer: SessionRenewer["Type"]
  readonly verifier: AuthTokens.AuthTokenVerifier["Type"]
}

// A fixed access token in place of a signed one: what remains of a renewal's cost is the session layer's.
const unsignedIssuer = Layer.succeed(Tokens.AuthTokenIssuer, {
  issue: () =>
    Effect.succeed(new Tokens.AuthToken({ value: Redacted.make("eyJhbGciOiJub25lIn0.eyJ1bnNpZ25lZCI6dHJ1ZX0.") }))
})

/**
 * Builds the authority's runtime once; `dispose` it when done. With `unsigned`, access tokens are a fixed
 * string instead of a JWT, to measure the session layer without the signature.
 */
export const makeAuthority = async (
  name: string,
  keys: FloorKeys,
  repository: Layer.Layer<SessionRepository, unknown>,
  logLevel: LogLevel.LogLevel,
  unsigned = false
): Promise<Authority> => {
  const signing = AuthTokens.signingKeysLayer(Effect.succeed(keys.signingKey))
  const tokens = Layer.merge(unsigned ? unsignedIssuer : AuthTokens.jwtIssuerLayer, AuthTokens.localVerifierLayer).pipe(
    Layer.provide(signing)
  )
  const layer = Layer.merge(
    Sessions.layerWithDefaults.pipe(
      Layer.provideMerge(tokens),
      Layer.provideMerge(repository),
      Layer.provide(SessionConfig.layer({ issuer: benchIssuer }))
    ),
    Logger.minimumLogLevel(logLevel)
  )
  const runtime = ManagedRuntime.make(layer)
  const services = await runtime.runPromise(
    Effect.all({ issuer: SessionIssuer, renewer: SessionRenewer, verifier: AuthTokens.AuthTokenVerifier })
  )
  return { name, runtime, ...services }
}

/** Counts of outcomes by tag. */
export class Tally {
  readonly counts = new Map<string, number>()
  add(tag: string): void {
    this.counts.set(tag, (this.counts.get(tag) ?? 0) + 1)
  }
  count(tag: string): number {
    return this.counts.get(tag) ?? 0
  }
  total(): number {
    let sum = 0
    for (const n of this.counts.values()) sum += n
    return sum
  }
  /** Every tag but `expected`, with its count. */
  others(expected: string): ReadonlyArray<readonly [string, number]> {
    return [...this.counts.entries()].filter(([tag]) => tag !== expected)
  }
  describe(): string {
    return [...this.counts.entries()].map(([tag, n]) => `${tag}=${n}`).join(", ")
  }
}

/**
 * The current refresh tokens of a set of sessions, first in first out: a renewal takes the token of the
 * session that waited longest, and gives back its successor. No two renewals in flight ever hold the same
 * session, and consecutive renewals touch different sessions.
 */
export class TokenQueue {
  private readonly items: Array<Tokens.RefreshToken | undefined>
  private head = 0
  private count = 0
  constructor(readonly capacity: number) {
    this.items = new Array(capacity)
  }
  get size(): number {
    return this.count
  }
  push(token: Tokens.RefreshToken): void {
    if (this.count === this.capacity) throw new Error("token queue overflow")
    this.items[(this.head + this.count) % this.capacity] = token
    this.count++
  }
  shift(): Tokens.RefreshToken {
    const token = this.items[this.head]
    if (this.count === 0 || token === undefined) {
      throw new Error("every session of the pool was lost to non-renewed outcomes")
    }
    this.items[this.head] = undefined
    this.head = (this.head + 1) % this.capacity
    this.count--
    return token
  }
}

const expired = Renewal.AuthTokenState.Expired({ expiredFor: Duration.seconds(1) })

/** A renewal the caller cannot do without: the access token expired a second ago. */
export const renewalRequest = (refreshToken: Tokens.RefreshToken): Renewal.RenewalRequest => ({
  authTokenState: expired,
  requirement: "Required",
  refreshToken
})

/**
 * One renewal with the longest-waiting session's token. `Renewed` gives the new token back to the queue;
 * `LeaseUnavailable` gives the same token back (it is still current); any other outcome drops the session.
 */
export const renewOperation = (authority: Authority, queue: TokenQueue, tally: Tally): Operation => {
  const { runtime, renewer } = authority
  return async () => {
    const token = queue.shift()
    const outcome = await runtime.runPromise(renewer.renew(renewalRequest(token)))
    tally.add(outcome._tag)
    if (outcome._tag === "Renewed") queue.push(outcome.tokens.refreshToken)
    else if (outcome._tag === "LeaseUnavailable") queue.push(token)
  }
}

/** One login for one of 10,000 subjects, with the empty context. */
export const issueOperation = (authority: Authority, tally: Tally): Operation => {
  const { runtime, issuer } = authority
  return async (i) => {
    await runtime.runPromise(issuer.issue(`user-${i % 10_000}`))
    tally.add("Issued")
  }
}

/** Classifying one valid access token issued by this authority. */
export const classifyOperation = async (authority: Authority, tally: Tally): Promise<Operation> => {
  const { runtime, issuer, verifier } = authority
  const issued = await runtime.runPromise(issuer.issue("user-classify"))
  const token = issued.tokens.authToken
  return async () => {
    const state = await runtime.runPromise(verifier.classify(token))
    tally.add(state._tag)
  }
}

/** Issues `count` sessions and queues their refresh tokens. */
export const issuePool = async (authority: Authority, count: number): Promise<TokenQueue> => {
  const queue = new TokenQueue(count)
  await repeat(count, 16, async (i) => {
    const issued = await authority.runtime.runPromise(authority.issuer.issue(`pool-user-${i}`))
    queue.push(issued.tokens.refreshToken)
  })
  return queue
}

/** A refresh token from its plaintext (for tokens reconstructed from bulk-loaded rows). */
export const refreshToken = (plaintext: string): Tokens.RefreshToken =>
  Either.getOrThrow(Tokens.refreshTokenFromString(plaintext))

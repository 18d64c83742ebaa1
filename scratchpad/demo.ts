/**
 * A readable tour of webgates-sessions: the pure model first, then an authority's timeline driven by a
 * TestClock, so thirty minutes of session life print in about a second.
 *
 * Run with `npm run demo`.
 */
import {
  Clock,
  DateTime,
  Duration,
  Effect,
  Fiber,
  Layer,
  Logger,
  Option,
  pipe,
  Redacted,
  TestClock,
  TestContext
} from "effect"
import {
  AuthTokens,
  Logout,
  MemorySessionRepository,
  Renewal,
  Session,
  SessionConfig,
  SessionContext,
  SessionIssuer,
  SessionRenewer,
  SessionRevoker,
  Sessions,
  Tokens
} from "../src/index.js"

const start = Date.UTC(2030, 0, 1, 9, 0, 0)

const clock = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString().slice(11, 19))
const say = (line: string) => Effect.flatMap(clock, (time) => Effect.sync(() => console.log(`[${time}] ${line}`)))
const heading = (title: string) => Effect.sync(() => console.log(`\n== ${title} ==\n`))
const short = (id: string) => `${id.slice(0, 8)}…${id.slice(-4)}`
const minutes = (d: Duration.Duration) => Duration.format(Duration.seconds(Math.round(Duration.toSeconds(d))))

const describeOutcome = (outcome: Renewal.RenewalOutcome): string =>
  Renewal.RenewalOutcome.$match(outcome, {
    NotNeeded: () => "NotNeeded (no storage touched)",
    LeaseUnavailable: ({ acquisition }) => `LeaseUnavailable (${acquisition._tag})`,
    Renewed: ({ session }) =>
      `Renewed: same session ${short(session.sessionId)}, refresh expiry ${DateTime.formatIso(session.expiresAt)}`,
    ReplayDetected: ({ familyId }) => `ReplayDetected: family ${short(familyId)} revoked`,
    Superseded: () => "Superseded (a concurrent renewal already rotated it; nothing revoked)",
    Rejected: ({ reason }) => `Rejected (${reason})`
  })

// ---------------------------------------------------------------------------------------------------
// Part 1: the pure model. Values and decisions, no services.
// ---------------------------------------------------------------------------------------------------

const pureModel = Effect.gen(function* () {
  yield* heading("The pure model")
  yield* TestClock.setTime(start)
  const now = DateTime.unsafeMake(start)
  const session = new Session.Session({
    sessionId: yield* Session.makeSessionId,
    familyId: yield* Session.makeSessionFamilyId,
    subjectId: Session.SubjectId.make("alice"),
    createdAt: now,
    expiresAt: DateTime.add(now, { days: 30 }),
    lastSeenAt: Option.none(),
    revoked: false
  })
  console.log("A session (one login on one client; its id survives every rotation):")
  console.log(`  sessionId ${session.sessionId}`)
  console.log(`  familyId  ${session.familyId}   (every rotation of this login)`)
  console.log(`  subject   ${session.subjectId}, created ${DateTime.formatIso(session.createdAt)}`)
  console.log(
    `  active now: ${Session.isActiveAt(session, now)}; at its expiry: ${Session.isActiveAt(session, session.expiresAt)}`
  )

  const refreshToken = yield* Tokens.makeRefreshTokenGenerator().generate
  const hash = yield* Tokens.sha256Hasher.hash(refreshToken)
  console.log("\nIts tokens:")
  console.log(
    `  refresh token: ${String(refreshToken.value)} (${Redacted.value(refreshToken.value).length} alphanumeric characters, CSPRNG)`
  )
  console.log(`  stored form:   SHA-256 hex, ${hash.length} characters; the plaintext is never stored or logged`)
  console.log(
    "  access token:  a JWT (ES384 by default) with iss, sub, sid, jti, iat, exp; verified locally with public keys"
  )

  console.log("\nThe renewal decision, Renewal.decide(state, requirement):")
  const states = [
    Renewal.AuthTokenState.Valid({ expiresIn: Duration.minutes(10) }),
    Renewal.AuthTokenState.NearExpiry({ expiresIn: Duration.seconds(90) }),
    Renewal.AuthTokenState.Expired({ expiredFor: Duration.seconds(5) }),
    Renewal.AuthTokenState.Invalid()
  ]
  console.table(
    Object.fromEntries(
      states.map((state) => [
        state._tag,
        { Proactive: Renewal.decide(state, "Proactive")._tag, Required: Renewal.decide(state, "Required")._tag }
      ])
    )
  )
})

// ---------------------------------------------------------------------------------------------------
// Part 2: an authority. One Layer.provide chain, then the timeline.
// ---------------------------------------------------------------------------------------------------

const config = SessionConfig.layer({ issuer: "https://auth.example.com" })
const keys = AuthTokens.generatedSigningKeysLayer({ alg: "ES384", kid: "demo-key" })

const Authority = Layer.merge(
  Sessions.layerWithDefaults.pipe(
    Layer.provide(AuthTokens.jwtIssuerLayer),
    Layer.provide(MemorySessionRepository.layer)
  ),
  AuthTokens.localVerifierLayer
).pipe(Layer.provide(keys), Layer.provide(config))

const classify = (token: Tokens.AuthToken) =>
  Effect.flatMap(AuthTokens.AuthTokenVerifier, (verifier) => verifier.classify(token))

const renew = (
  refreshToken: Tokens.RefreshToken,
  authTokenState: Renewal.AuthTokenState,
  requirement: Renewal.RenewalRequirement
) =>
  Effect.flatMap(SessionRenewer.SessionRenewer, (renewer) =>
    renewer.renew({ authTokenState, requirement, refreshToken })
  )

const timeline = Effect.gen(function* () {
  yield* heading("An authority's timeline (TestClock; nothing sleeps)")
  yield* TestClock.setTime(start)
  const issuer = yield* SessionIssuer.SessionIssuer
  const revoker = yield* SessionRevoker.SessionRevoker

  // Login.
  const laptop = pipe(SessionContext.empty, SessionContext.withClient({ userAgent: "Firefox/140", deviceId: "laptop" }))
  const login = yield* issuer.issue("alice", laptop)
  yield* say(
    `alice logs in on her laptop: session ${short(login.session.sessionId)}, family ${short(login.session.familyId)}`
  )
  yield* say(
    `  tokens issued: access token for ${minutes(login.authTokenTtl)}, refresh token ${String(login.tokens.refreshToken.value)}`
  )

  // An access token checked.
  const fresh = yield* classify(login.tokens.authToken)
  yield* say(
    `a resource service checks the access token locally: ${fresh._tag}${fresh._tag === "Valid" ? ` (${minutes(fresh.expiresIn)} left)` : ""}`
  )
  yield* say(
    `  decision: ${Renewal.decide(fresh, "Proactive")._tag}; renew → ${describeOutcome(yield* renew(login.tokens.refreshToken, fresh, "Proactive"))}`
  )

  // Proactive renewal near expiry.
  yield* TestClock.adjust(Duration.seconds(13 * 60 + 30))
  const near = yield* classify(login.tokens.authToken)
  yield* say(
    `the access token is now ${near._tag}${near._tag === "NearExpiry" ? ` (${minutes(near.expiresIn)} left)` : ""}: ${Renewal.decide(near, "Proactive")._tag}`
  )
  const proactive = yield* renew(login.tokens.refreshToken, near, "Proactive")
  yield* say(`  renew → ${describeOutcome(proactive)}`)
  if (proactive._tag !== "Renewed") return
  yield* say(
    `  the new access token is ${(yield* classify(proactive.tokens.authToken))._tag}; the old refresh token is retired`
  )

  // Two tabs racing with one token.
  yield* TestClock.adjust("5 seconds")
  const expiredState = Renewal.AuthTokenState.Expired({ expiredFor: Duration.seconds(1) })
  yield* say("two tabs wake up and both renew with the same refresh token; tab B's request lands 2 s after tab A's")
  const tabA = yield* Effect.fork(renew(proactive.tokens.refreshToken, expiredState, "Required"))
  const tabB = yield* Effect.fork(
    Effect.zipRight(Effect.sleep("2 seconds"), renew(proactive.tokens.refreshToken, expiredState, "Required"))
  )
  const outcomeA = yield* Fiber.join(tabA)
  yield* say(`  tab A → ${describeOutcome(outcomeA)}`)
  yield* TestClock.adjust("2 seconds")
  const outcomeB = yield* Fiber.join(tabB)
  yield* say(`  tab B → ${describeOutcome(outcomeB)}`)
  if (outcomeA._tag !== "Renewed") return

  // A stolen old token replayed after the grace.
  yield* TestClock.adjust("30 seconds")
  yield* say("an attacker replays the refresh token stolen at login (rotated away long ago)")
  yield* say(`  renew → ${describeOutcome(yield* renew(login.tokens.refreshToken, expiredState, "Required"))}`)
  yield* say("alice's own tab, holding the newest refresh token, tries to renew")
  yield* say(
    `  renew → ${describeOutcome(yield* renew(outcomeA.tokens.refreshToken, expiredState, "Required"))}: she must sign in again`
  )

  // Sign-out everywhere.
  yield* TestClock.adjust("1 minute")
  yield* issuer.issue("alice", laptop)
  yield* TestClock.adjust("20 seconds")
  const phone = yield* issuer.issue(
    "alice",
    pipe(SessionContext.empty, SessionContext.withClient({ userAgent: "Safari/18", deviceId: "phone" }))
  )
  const devices = yield* revoker.listSessions("alice")
  yield* say(`alice signs in again on laptop and phone; her active sessions:`)
  for (const { session, context } of devices) {
    yield* say(
      `  ${short(session.sessionId)}  ${Option.getOrElse(context.client.deviceId, () => "?")}  ${Option.getOrElse(context.client.userAgent, () => "?")}`
    )
  }
  yield* TestClock.adjust("10 minutes")
  yield* say(
    `she loses her phone and signs out everywhere: ${yield* revoker.revokeSubject("alice")} session families revoked`
  )
  yield* say(`  active sessions now: ${(yield* revoker.listSessions("alice")).length}`)
  yield* say(
    `  the phone's renewal → ${describeOutcome(yield* renew(phone.tokens.refreshToken, expiredState, "Required"))}`
  )
  const outcome = yield* revoker.revoke(
    new Logout.LogoutRequest({
      sessionId: phone.session.sessionId,
      familyId: phone.session.familyId,
      scope: "CurrentSession"
    })
  )
  yield* say(`  signing the phone out once more is harmless: ${outcome._tag}`)
})

const program = Effect.gen(function* () {
  yield* pureModel
  yield* timeline.pipe(Effect.provide(Authority))
  yield* Effect.sync(() => console.log(""))
}).pipe(Effect.provide(Layer.merge(TestContext.TestContext, Logger.remove(Logger.defaultLogger))))

Effect.runPromise(program).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})

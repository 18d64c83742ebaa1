/**
 * The login workflow: after the caller has verified credentials, start a new session family and
 * session, mint its token pair and persist the session with the refresh-token hash.
 *
 * @since 0.1.0
 */
import { Context, DateTime, Effect, Layer, Metric, Option } from "effect"
import { policy, sessionExpiry } from "./internal/policy.js"
import * as Session from "./Session.js"
import type { SessionConfig } from "./SessionConfig.js"
import * as SessionContext from "./SessionContext.js"
import type { ConfigError, RepositoryError, TokenError } from "./SessionErrors.js"
import { CreateSession, SessionRepository } from "./SessionRepository.js"
import { IssuedSessionTokens, TokenPairIssuer } from "./Tokens.js"
import { outcomeCounters, workflowSpan } from "./internal/observability.js"

/**
 * Counts logins by outcome (`Issued` or `Failed`).
 *
 * @since 0.1.0
 * @category metrics
 */
export const issueOutcomes = Metric.counter("sessions_issue_outcomes_total", {
  description: "Session issuance attempts by outcome",
  incremental: true
})

const issueCounter = outcomeCounters(issueOutcomes)

/**
 * The issuer's operations.
 *
 * @since 0.1.0
 * @category models
 */
export interface SessionIssuerService {
  /**
   * Starts a session for an authenticated subject. The subject id is validated with
   * `Session.subjectId`; the context (the empty context when left out) is stored with the session.
   */
  readonly issue: (
    subjectId: string,
    context?: SessionContext.SessionContext
  ) => Effect.Effect<IssuedSessionTokens, TokenError | RepositoryError>
}

/**
 * Issues sessions at login.
 *
 * @example
 * ```ts
 * import { Effect, pipe } from "effect"
 * import { SessionContext, SessionIssuer } from "webgates-sessions"
 *
 * const login = Effect.gen(function* () {
 *   const issuer = yield* SessionIssuer.SessionIssuer
 *   const context = pipe(
 *     SessionContext.empty,
 *     SessionContext.withClient({ userAgent: "Firefox/140", ip: "203.0.113.7" })
 *   )
 *   const issued = yield* issuer.issue("user-42", context)
 *   return issued.tokens // send the access token and the refresh token to the client
 * })
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class SessionIssuer extends Context.Tag("webgates-sessions/SessionIssuer")<
  SessionIssuer,
  SessionIssuerService
>() {}

/**
 * Builds the issuer. Fails with `ConfigError` for an invalid configuration.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<
  SessionIssuerService,
  ConfigError,
  SessionConfig | SessionRepository | TokenPairIssuer
> = Effect.gen(function* () {
  const { config } = yield* policy
  const repository = yield* SessionRepository
  const tokenPairs = yield* TokenPairIssuer

  const issue = (
    rawSubjectId: string,
    context: SessionContext.SessionContext = SessionContext.empty
  ): Effect.Effect<IssuedSessionTokens, TokenError | RepositoryError> =>
    Effect.gen(function* () {
      const subjectId = yield* Session.subjectId(rawSubjectId)
      const now = yield* DateTime.now
      const familyId = yield* Session.makeSessionFamilyId
      const sessionId = yield* Session.makeSessionId
      const session = new Session.Session(
        {
          sessionId,
          familyId,
          subjectId,
          createdAt: now,
          expiresAt: sessionExpiry(config, now, now),
          lastSeenAt: Option.none(),
          revoked: false
        },
        // Every field is already typed (branded ids, a validated subject, Clock times); re-validating
        // rebuilds the schema's parser on each call and costs more than the rest of an issue.
        { disableValidation: true }
      )
      yield* Effect.annotateCurrentSpan({ sessionId, familyId })

      const minted = yield* tokenPairs.issue(session)
      yield* repository.createSession(
        new CreateSession({ session, refreshTokenHash: minted.refreshTokenHash, context })
      )

      yield* Effect.annotateCurrentSpan("outcome", "Issued")
      yield* Metric.increment(issueCounter("Issued"))
      yield* Effect.logInfo("session issued").pipe(Effect.annotateLogs({ sessionId, familyId, outcome: "Issued" }))
      return new IssuedSessionTokens({
        session,
        tokens: minted.tokens,
        refreshTokenHash: minted.refreshTokenHash,
        authTokenTtl: config.authTokenTtl
      })
    }).pipe(
      Effect.tapError((error) =>
        Effect.zipRight(
          Metric.increment(issueCounter("Failed")),
          Effect.logWarning("session issuance failed").pipe(
            Effect.annotateLogs({ outcome: "Failed", error: error._tag, reason: error.reason })
          )
        )
      ),
      workflowSpan("sessions.issue")
    )

  return { issue }
})

/**
 * The issuer as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SessionIssuer, ConfigError, SessionConfig | SessionRepository | TokenPairIssuer> =
  Layer.effect(SessionIssuer, make)

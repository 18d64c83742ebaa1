/**
 * A complete authority over a PostgreSQL repository for the `test/pg` suites: `Sessions.layerWithDefaults`
 * with the jose JWT issuer and generated signing keys, plus helpers to renew, to count the statements
 * a piece of work sends, and to read `pg_stat_statements`.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Duration, Effect, Layer, Logger, LogLevel, Option, Redacted, Tracer } from "effect"
import * as AuthTokens from "../../src/AuthTokens.js"
import * as Renewal from "../../src/Renewal.js"
import * as SessionConfig from "../../src/SessionConfig.js"
import type { SessionRepository } from "../../src/SessionRepository.js"
import { SessionRenewer } from "../../src/SessionRenewer.js"
import * as Sessions from "../../src/Sessions.js"
import type * as Tokens from "../../src/Tokens.js"

export const issuer = "https://auth.pg-test.example"

/**
 * The three workflows, the configuration and `repository`'s outputs. Logs below `Warning` are dropped:
 * the multi-process test alone would print a line per renewal.
 */
export const authority = <R>(
  repository: Layer.Layer<SessionRepository | R, unknown>,
  config: SessionConfig.SessionConfigInput = {}
): Layer.Layer<Sessions.Services | SessionConfig.SessionConfig | SessionRepository | R, unknown> =>
  Sessions.layerWithDefaults.pipe(
    Layer.provide(AuthTokens.jwtIssuerLayer),
    Layer.provide(AuthTokens.generatedSigningKeysLayer()),
    Layer.provideMerge(repository),
    Layer.provideMerge(SessionConfig.layer({ issuer, ...config })),
    Layer.provideMerge(Logger.minimumLogLevel(LogLevel.Warning))
  )

/** A renewal the caller cannot do without (its access token has expired). */
export const renewalRequest = (refreshToken: Tokens.RefreshToken): Renewal.RenewalRequest => ({
  authTokenState: Renewal.AuthTokenState.Expired({ expiredFor: Duration.seconds(1) }),
  requirement: "Required",
  refreshToken
})

/** Renews with `refreshToken` through the renewer in context. */
export const renew = (refreshToken: Tokens.RefreshToken) =>
  Effect.flatMap(SessionRenewer, (renewer) => renewer.renew(renewalRequest(refreshToken)))

/** The plaintext of a refresh token, for tests that must look for it. */
export const plaintext = (token: Tokens.RefreshToken): string => Redacted.value(token.value)

/** The new refresh token of a `Renewed` outcome. */
export const renewedToken = (outcome: Renewal.RenewalOutcome): Option.Option<Tokens.RefreshToken> =>
  Option.map(Renewal.tokens(outcome), (pair) => pair.refreshToken)

/** Span counts by name, from a tracer that wraps the current one. */
export interface SpanCounts {
  readonly byName: Map<string, number>
}

/**
 * Runs `self` with a tracer that counts spans by name. `@effect/sql` opens one `sql.execute` span per
 * statement it sends and one `sql.transaction` span per transaction (whose BEGIN and COMMIT are sent
 * without spans of their own).
 */
export const countingSpans = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<[A, SpanCounts], E, R> =>
  Effect.tracerWith((current) => {
    const counts: SpanCounts = { byName: new Map() }
    const counting = Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        counts.byName.set(name, (counts.byName.get(name) ?? 0) + 1)
        return current.span(name, parent, context, links, startTime, kind, options)
      },
      context: (f, fiber) => current.context(f, fiber)
    })
    return Effect.map(Effect.withTracer(self, counting), (a): [A, SpanCounts] => [a, counts])
  })

/** The number of spans named `name`. */
export const spans = (counts: SpanCounts, name: string): number => counts.byName.get(name) ?? 0

/**
 * Calls recorded by `pg_stat_statements` for the top-level statements (those a client sent, not the
 * foreign-key checks they ran) of one database, or none when the extension is not installed on the
 * server. Counted per database because PostgreSQL 18 files statements on same-named tables in different
 * schemas under one entry.
 */
export const statementCalls = (
  sql: SqlClient.SqlClient,
  database: string
): Effect.Effect<Option.Option<number>, unknown> =>
  Effect.gen(function* () {
    const installed = yield* sql`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`
    if (installed.length === 0) return Option.none()
    const rows = yield* sql<{ readonly calls: number }>`
      SELECT coalesce(sum(calls), 0)::int AS calls FROM pg_stat_statements
      WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = ${database})`.pipe(
      Effect.orElseSucceed(() => [])
    )
    return Option.fromNullable(rows[0]?.calls)
  })

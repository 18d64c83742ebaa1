/**
 * The PostgreSQL session repository, on `@effect/sql-pg`: one store shared by any number of authority
 * processes, with renewals coordinated correctly across connections and processes.
 *
 * Every contract operation is a single SQL statement (bootstrap and purge excepted), so a successful
 * renewal costs three round trips: the hash lookup, the lease, the rotation. Lease acquisition and
 * rotation are conditional writes that PostgreSQL re-checks against the newest row version, never a
 * read followed by a write. No time is taken from the database: every moment is a parameter from
 * Effect's `Clock`, so `TestClock` drives expiry here as it does in memory.
 *
 * The tables live in their own schema (`webgates_sessions` unless configured), created and migrated by
 * `bootstrap` with `@effect/sql`'s `Migrator`.
 *
 * What it does not do:
 * - When a connection dies after a rotation committed but before the answer arrived, the caller gets a
 *   `Backend` error although the token was rotated. The client still holds the old token: presented
 *   again within `refreshReuseGrace` it is `Superseded`, later it counts as a replay and revokes the
 *   family. No storage can tell a lost answer from a failed write.
 * - A renewal that dies after taking its lease leaves the lease in place until `renewalLeaseTtl` has
 *   passed; renewals of that session are `LeaseUnavailable` until then.
 * - Subject ids must be well-formed Unicode (no lone UTF-16 surrogate), which the in-memory repository
 *   does not require: the driver would store such an id altered. Ids are compared as PostgreSQL
 *   `uuid`s, so an id given in upper case is returned in lower case.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"
import { purgeExpired } from "./internal/pg/purge.js"
import { findByHash, findFamily, findRefreshRecord, findSession, listSessions } from "./internal/pg/reads.js"
import { rotate, tryAcquireLease } from "./internal/pg/renewal.js"
import { bootstrap, schemaNamePattern, tables } from "./internal/pg/schema.js"
import { createSession, revokeFamily, revokeOneSession, revokeSubject, touchSession } from "./internal/pg/writes.js"
import { ConfigError, type RepositoryError } from "./SessionErrors.js"
import { SessionRepository, type SessionRepositoryService, traced } from "./SessionRepository.js"

/**
 * The schema the tables live in unless configured otherwise.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultSchema = "webgates_sessions"

/**
 * How many rows one purge statement deletes at most unless configured otherwise.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPurgeBatchSize = 1000

/**
 * Options for {@link make} and {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface PgSessionRepositoryOptions {
  /**
   * The schema holding the tables: a lowercase SQL identifier (`[a-z_][a-z0-9_]*`, at most 63
   * characters). Default {@link defaultSchema}. Several independent stores can share a database under
   * different schemas.
   */
  readonly schema?: string
  /** Rows deleted per purge statement. Default {@link defaultPurgeBatchSize}. */
  readonly purgeBatchSize?: number
  /** Whether {@link layer} runs `bootstrap` (create the schema, apply migrations) when built. Default true. */
  readonly migrate?: boolean
}

const invalid = (message: string) => new ConfigError({ reason: "Invalid", message })

const resolve = (
  options: PgSessionRepositoryOptions
): Effect.Effect<{ readonly schema: string; readonly purgeBatchSize: number }, ConfigError> => {
  const schema = options.schema ?? defaultSchema
  const purgeBatchSize = options.purgeBatchSize ?? defaultPurgeBatchSize
  if (!schemaNamePattern.test(schema)) {
    return Effect.fail(invalid("The schema name must be a lowercase SQL identifier of at most 63 characters"))
  }
  if (!Number.isSafeInteger(purgeBatchSize) || purgeBatchSize < 1) {
    return Effect.fail(invalid("The purge batch size must be a positive integer"))
  }
  return Effect.succeed({ schema, purgeBatchSize })
}

/**
 * Builds the repository over the `SqlClient` in context (from `PgClient.layer`). Nothing is sent to the
 * database until an operation runs; call `bootstrap` (or use {@link layer}) before the first one.
 *
 * The client's name transforms are bypassed, so a `PgClient` configured with `transformResultNames`
 * for the application works unchanged. The result is not traced; {@link layer} wraps it with
 * `SessionRepository.traced`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: PgSessionRepositoryOptions = {}
): Effect.Effect<SessionRepositoryService, ConfigError, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const { schema, purgeBatchSize } = yield* resolve(options)
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    const t = tables(sql, schema)
    return {
      bootstrap: bootstrap(sql, t),
      createSession: createSession(sql, t),
      findSessionByRefreshTokenHash: findByHash(sql, t),
      findSession: findSession(sql, t),
      findFamily: findFamily(sql, t),
      findRefreshRecord: findRefreshRecord(sql, t),
      tryAcquireRenewalLease: tryAcquireLease(sql, t),
      rotateRefreshToken: rotate(sql, t),
      revokeSession: (scope) =>
        scope._tag === "CurrentSession"
          ? revokeOneSession(sql, t)(scope.sessionId)
          : revokeFamily(sql, t, "revokeSession")(scope.familyId),
      revokeFamily: revokeFamily(sql, t),
      touchSession: touchSession(sql, t),
      listSessions: listSessions(sql, t),
      revokeSubject: revokeSubject(sql, t),
      purgeExpired: purgeExpired(sql, t, purgeBatchSize)
    }
  })

/**
 * The traced PostgreSQL repository. Unless `migrate: false`, building the layer runs `bootstrap`:
 * several processes may build it at once, and one migrates while the others wait.
 *
 * @example
 * ```ts
 * import { PgClient } from "@effect/sql-pg"
 * import { Layer, Redacted } from "effect"
 * import { PgSessionRepository } from "webgates-sessions"
 *
 * const storage = PgSessionRepository.layer().pipe(
 *   Layer.provide(PgClient.layer({ url: Redacted.make(process.env.DATABASE_URL ?? ""), maxConnections: 10 }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: PgSessionRepositoryOptions = {}
): Layer.Layer<SessionRepository, ConfigError | RepositoryError, SqlClient.SqlClient> =>
  Layer.effect(
    SessionRepository,
    Effect.gen(function* () {
      const service = traced(yield* make(options))
      if (options.migrate !== false) yield* service.bootstrap
      return service
    })
  )

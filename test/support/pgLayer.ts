/**
 * PostgreSQL fixtures as layers: a client for the server under test, and repositories isolated from
 * each other in schemas of their own.
 *
 * Test files run in parallel processes against one server, so every repository lives in a schema with
 * a random name. Creating and migrating a schema takes about 100 ms of DDL, and the model test builds
 * 200 repositories, so a test process keeps the schemas it has migrated: a build takes a free one (or
 * migrates a new one), empties its tables, and gives it back when its scope closes. Every build thus
 * starts from empty tables that no concurrent build can touch. `closeSharedPg` (register it with
 * `afterAll`) drops the schemas and closes the process's pool.
 */
import { randomBytes } from "node:crypto"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { Context, Deferred, Effect, Fiber, Layer, ManagedRuntime, Redacted, type Scope } from "effect"
import { inject } from "vitest"
import * as PgSessionRepository from "../../src/PgSessionRepository.js"
import { SessionRepository, traced } from "../../src/SessionRepository.js"

/** The URL of the server under test, from the global setup. */
export const pgUrl = (): string => inject("sessionsPgUrl")

/** Whether the server under test was started by this run (and so may be restarted by a test). */
export const pgEmbedded = (): boolean => inject("sessionsPgEmbedded")

/** The schema a test repository lives in. */
export class PgTestSchema extends Context.Tag("test/PgTestSchema")<PgTestSchema, string>() {}

/**
 * A fresh schema name, unique across parallel test processes. It carries the process id so that the
 * global setup can drop schemas left behind by processes that died.
 */
export const freshSchemaName = (): string => `wgs_t_${process.pid}_${randomBytes(4).toString("hex")}`

/** A client for the server under test with its own pool. */
export const pgClientLayer = (
  options: { readonly url?: string; readonly maxConnections?: number } = {}
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, unknown> =>
  PgClient.layer({
    url: Redacted.make(options.url ?? pgUrl()),
    maxConnections: options.maxConnections ?? 4,
    idleTimeout: "5 seconds",
    connectTimeout: "5 seconds",
    applicationName: "webgates-sessions-test"
  })

/**
 * A database of its own on the server under test, for a test that counts what the server records per
 * database; dropped (closing any connection left) when the scope closes. Returns its name and URL.
 */
export const scratchDatabase: Effect.Effect<
  { readonly name: string; readonly url: string },
  unknown,
  SqlClient.SqlClient | Scope.Scope
> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const name = freshSchemaName()
  yield* Effect.acquireRelease(sql`CREATE DATABASE ${sql(name)}`, () =>
    sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`.pipe(Effect.ignore)
  )
  const url = new URL(pgUrl())
  url.pathname = `/${name}`
  return { name, url: url.toString() }
})

/**
 * Runs `lock` (a `SELECT … FOR UPDATE`) in a transaction of its own, forked on another pooled connection,
 * and returns once the lock is held. The returned effect commits that transaction and waits for it, so
 * statements started in between queue up behind the lock in a known order.
 */
export const holdingLock = <E, R>(
  lock: Effect.Effect<unknown, E, R>
): Effect.Effect<Effect.Effect<void, E | SqlError>, never, SqlClient.SqlClient | R> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const locked = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    const holder = yield* sql
      .withTransaction(
        Effect.zipRight(lock, Effect.zipRight(Deferred.succeed(locked, undefined), Deferred.await(release)))
      )
      .pipe(Effect.fork)
    yield* Deferred.await(locked)
    return Effect.zipRight(Deferred.succeed(release, undefined), Fiber.join(holder))
  })

/** Drops a test schema and everything in it. */
export const dropSchema = (schema: string): Effect.Effect<void, never, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DROP SCHEMA IF EXISTS ${sql(schema)} CASCADE`).pipe(Effect.ignore)

/**
 * The repository in a new schema, migrated, over the `SqlClient` in context; the schema is dropped
 * when the scope closes. For tests about migration itself and for child processes.
 */
export const freshRepositoryOnClient = (
  options: Omit<PgSessionRepository.PgSessionRepositoryOptions, "schema"> = {}
): Layer.Layer<SessionRepository | PgTestSchema, unknown, SqlClient.SqlClient> =>
  Layer.scopedContext(
    Effect.gen(function* () {
      const schema = freshSchemaName()
      yield* Effect.addFinalizer(() => dropSchema(schema))
      const service = yield* PgSessionRepository.make({ ...options, schema })
      yield* service.bootstrap
      return Context.make(SessionRepository, traced(service)).pipe(Context.add(PgTestSchema, schema))
    })
  )

interface Shared {
  readonly runtime: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient | PgClient.PgClient, unknown>
  readonly free: Array<string>
  readonly all: Array<string>
}

let shared: Shared | undefined

const sharedState = (): Shared => {
  if (shared === undefined) {
    shared = { runtime: ManagedRuntime.make(pgClientLayer({ maxConnections: 8 })), free: [], all: [] }
  }
  return shared
}

/** Drops every schema this process migrated and closes its pool. */
export const closeSharedPg = async (): Promise<void> => {
  const state = shared
  if (state === undefined) return
  shared = undefined
  await state.runtime.runPromise(Effect.forEach(state.all, dropSchema, { discard: true }))
  await state.runtime.dispose()
}

const emptyTables = (sql: SqlClient.SqlClient, schema: string) =>
  sql.unsafe(
    ["leases", "refresh_tokens", "sessions", "families"].map((table) => `DELETE FROM "${schema}"."${table}"`).join(";")
  )

/** The per-build cost of `isolatedRepository`, for the report: milliseconds of the last builds. */
export const buildTimings: Array<number> = []

/**
 * A repository of its own, with empty tables, over this process's shared pool: what the contract suite
 * and the model test build once per test or per sequence. The client stays available for inspecting
 * the tables.
 */
export const isolatedRepository = (): Layer.Layer<
  SessionRepository | PgTestSchema | SqlClient.SqlClient | PgClient.PgClient,
  unknown
> => {
  const state = sharedState()
  const client = Layer.unwrapEffect(
    Effect.map(
      Effect.promise(() => state.runtime.runtime()),
      (runtime) => Layer.succeedContext(runtime.context)
    )
  )
  const repository = Layer.scopedContext(
    Effect.gen(function* () {
      const started = performance.now()
      const sql = yield* SqlClient.SqlClient
      const reused = state.free.pop()
      const schema = reused ?? freshSchemaName()
      yield* Effect.addFinalizer(() => Effect.sync(() => state.free.push(schema)))
      const service = yield* PgSessionRepository.make({ schema })
      if (reused === undefined) {
        state.all.push(schema)
        yield* service.bootstrap
      } else {
        yield* emptyTables(sql, schema)
      }
      buildTimings.push(performance.now() - started)
      return Context.make(SessionRepository, traced(service)).pipe(Context.add(PgTestSchema, schema))
    })
  )
  return Layer.provideMerge(repository, client)
}

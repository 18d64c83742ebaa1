/**
 * PostgreSQL for the benchmark: the server (embedded, or `BENCH_PG_URL`), client pools, repositories in
 * schemas of their own, bulk loading with `generate_series`, and statement counting.
 *
 * Bulk-loaded refresh tokens have plaintexts the benchmark can rebuild: {@link tokenPrefix} followed by
 * the zero-padded row number, 64 characters in all, hashed with SHA-256 by PostgreSQL exactly as the
 * library hashes them (UTF-8 bytes in, 32 bytes stored).
 */
import * as fs from "node:fs"
import * as SqlClient from "@effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import * as PgSessionRepository from "../../src/PgSessionRepository.js"
import * as SessionContext from "../../src/SessionContext.js"
import type { SessionRepository } from "../../src/SessionRepository.js"
import { startEmbeddedPostgres } from "../support/pgServer.js"

export interface PgServer {
  readonly url: string
  readonly embedded: boolean
  readonly stop: () => Promise<void>
}

/** The server to measure: `BENCH_PG_URL` when set, else a fresh embedded cluster (removed by `stop`). */
export const startServer = async (externalUrl: string | undefined): Promise<PgServer> => {
  if (externalUrl !== undefined && externalUrl.length > 0) {
    return { url: externalUrl, embedded: false, stop: async () => undefined }
  }
  const server = await startEmbeddedPostgres()
  return { url: server.url, embedded: true, stop: server.stop }
}

export const clientLayer = (
  url: string,
  maxConnections: number
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, unknown> =>
  PgClient.layer({
    url: Redacted.make(url),
    maxConnections,
    connectTimeout: "10 seconds",
    applicationName: "webgates-sessions-bench"
  })

/** The repository in `schema` (created and migrated when the layer is built), over a pool of its own. */
export const repositoryLayer = (
  url: string,
  schema: string,
  maxConnections: number
): Layer.Layer<SessionRepository, unknown> =>
  PgSessionRepository.layer({ schema }).pipe(Layer.provide(clientLayer(url, maxConnections)))

/** 17 characters; with 47 digits of row number, a plaintext is 64 characters like a generated token. */
export const tokenPrefix = "BenchRefreshToken"

/** The plaintext of bulk-loaded row `i`'s refresh token. */
export const bulkTokenPlaintext = (i: number): string => `${tokenPrefix}${String(i).padStart(47, "0")}`

const emptyContextJson = JSON.stringify(Schema.encodeSync(SessionContext.SessionContext)(SessionContext.empty))

/**
 * Creates and migrates `schema`, then loads `count` active sessions (one family, one session and one
 * current refresh token each) with three `INSERT … SELECT … FROM generate_series` statements, and runs
 * `VACUUM ANALYZE` on the tables, as a long-running store would have been, then a `CHECKPOINT`.
 *
 * To load a million rows in well under a minute, the secondary indexes the migrations created (those not
 * backing a constraint) are dropped during the load and rebuilt from their own definitions afterwards,
 * rows go in primary-key order, and, where the benchmark is superuser, the per-row foreign-key triggers
 * are skipped (`session_replication_role = replica`): the rows are consistent by construction. The
 * result is the same schema, indexes and rows as a slow load would give.
 */
export const bulkLoad = (
  schema: string,
  count: number,
  progress: (step: string) => void = () => undefined
): Effect.Effect<void, unknown, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DROP SCHEMA IF EXISTS ${sql(schema)} CASCADE`
    const repository = yield* PgSessionRepository.make({ schema })
    yield* repository.bootstrap
    const families = sql(`${schema}.families`)
    const sessions = sql(`${schema}.sessions`)
    const refreshTokens = sql(`${schema}.refresh_tokens`)
    const now = new Date()
    const expires = new Date(now.getTime() + 30 * 24 * 3600 * 1000)
    const step = <A, E, R>(label: string, self: Effect.Effect<A, E, R>) =>
      Effect.flatMap(Effect.timed(self), ([took, result]) =>
        Effect.as(
          Effect.sync(() => progress(`${label} (${Duration.toSeconds(took).toFixed(1)} s)`)),
          result
        )
      )
    const load = Effect.gen(function* () {
      yield* sql`SET LOCAL session_replication_role = replica`.pipe(Effect.ignore)
      yield* sql`SET LOCAL maintenance_work_mem = '256MB'`
      const secondary = yield* sql<{ readonly name: string; readonly definition: string }>`
        SELECT ci.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        JOIN pg_class ci ON ci.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = ci.relnamespace
        WHERE n.nspname = ${schema} AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`
      for (const index of secondary) yield* sql`DROP INDEX ${sql(`${schema}.${index.name}`)}`
      yield* step(
        `${count} families`,
        sql`
          INSERT INTO ${families} (family_id, subject_id, created_at, revoked)
          SELECT md5('family-' || i)::uuid, 'user-' || i, ${now}::timestamptz, false
          FROM generate_series(1, ${count}::int) AS i
          ORDER BY 1`
      )
      yield* step(
        `${count} sessions`,
        sql`
          INSERT INTO ${sessions}
            (session_id, family_id, created_at, expires_at, last_seen_at, revoked, refresh_revoked, context)
          SELECT md5('session-' || i)::uuid, md5('family-' || i)::uuid, ${now}::timestamptz,
            ${expires}::timestamptz, NULL, false, false, ${emptyContextJson}::json
          FROM generate_series(1, ${count}::int) AS i
          ORDER BY 1`
      )
      yield* step(
        `${count} refresh tokens`,
        sql`
          INSERT INTO ${refreshTokens} (token_hash, session_id, expires_at)
          SELECT sha256(convert_to(${tokenPrefix} || lpad(i::text, 47, '0'), 'UTF8')),
            md5('session-' || i)::uuid, ${expires}::timestamptz
          FROM generate_series(1, ${count}::int) AS i
          ORDER BY 1`
      )
      yield* step(
        `${secondary.length} secondary indexes rebuilt`,
        Effect.forEach(secondary, (index) => sql.unsafe(index.definition), { discard: true })
      )
    })
    yield* sql.withTransaction(load)
    yield* step(
      "VACUUM (ANALYZE)",
      Effect.forEach(
        ["families", "sessions", "refresh_tokens", "leases"],
        (table) => sql.unsafe(`VACUUM (ANALYZE) "${schema}"."${table}"`),
        { discard: true }
      )
    )
    // Written out now rather than by the checkpointer during the measurements that follow (needs superuser
    // or pg_checkpoint; skipped elsewhere).
    yield* step("CHECKPOINT", sql`CHECKPOINT`.pipe(Effect.ignore))
  })

/** Bytes on disk of a schema's tables with their indexes and TOAST. */
export const schemaBytes = (schema: string): Effect.Effect<number, unknown, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly bytes: string }>`
      SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::text AS bytes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${schema} AND c.relkind = 'r'`
    return Number(rows[0]?.bytes ?? "0")
  })

export const dropSchema = (schema: string): Effect.Effect<void, unknown, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql`DROP SCHEMA IF EXISTS ${sql(schema)} CASCADE`)

/** The server's version string and the settings that shape the figures. */
export const serverInfo: Effect.Effect<Record<string, string>, unknown, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<{ readonly name: string; readonly setting: string }>`
      SELECT name, current_setting(name) AS setting FROM unnest(ARRAY[
        'server_version', 'shared_buffers', 'fsync', 'synchronous_commit', 'max_connections'
      ]) AS name`
  return Object.fromEntries(rows.map((row) => [row.name, row.setting]))
})

/** Whether `pg_stat_statements` can be read on this server. */
export const hasStatementStats: Effect.Effect<boolean, unknown, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const installed = yield* sql`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`
  if (installed.length === 0) return false
  return yield* sql`SELECT pg_stat_statements_reset()`.pipe(
    Effect.as(true),
    Effect.orElseSucceed(() => false)
  )
})

export const resetStatementStats: Effect.Effect<void, unknown, SqlClient.SqlClient> = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`SELECT pg_stat_statements_reset()`
)

/**
 * Top-level statements the server executed since the last reset, other than the ones reading or resetting
 * the statistics themselves; `BEGIN` and `COMMIT` count when a client sends them.
 */
export const statementsSinceReset: Effect.Effect<Option.Option<number>, unknown, SqlClient.SqlClient> = Effect.gen(
  function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly calls: string }>`
      SELECT coalesce(sum(calls), 0)::text AS calls FROM pg_stat_statements
      WHERE toplevel AND query NOT ILIKE '%pg_stat_statements%'`
    return Option.map(Option.fromNullable(rows[0]), (row) => Number(row.calls))
  }
)

const clockTicksPerSecond = 100

const processCpuMicros = (pid: number): number => {
  try {
    // Fields after the command name (which may contain spaces) start at state; utime and stime are the
    // 14th and 15th fields of the line, in clock ticks.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const ticks = Number(fields[11]) + Number(fields[12])
    return Number.isFinite(ticks) ? (ticks * 1e6) / clockTicksPerSecond : 0
  } catch {
    return 0
  }
}

/**
 * CPU time so far of each of the server's processes (every backend and background process listed in
 * `pg_stat_activity`), by pid, read from `/proc`: meaningful only for a server on this machine, such as
 * the embedded one.
 */
export const serverCpuMicros: Effect.Effect<ReadonlyMap<number, number>, unknown, SqlClient.SqlClient> = Effect.gen(
  function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly pid: number }>`SELECT pid FROM pg_stat_activity`
    return new Map(rows.map((row) => [row.pid, processCpuMicros(row.pid)]))
  }
)

/**
 * Where the server's time per statement goes, from `pg_stat_statements` (planning time is recorded only
 * where `pg_stat_statements.track_planning` is on): the statements that name `schema`, by calls.
 */
export const statementTimes = (
  schema: string
): Effect.Effect<
  ReadonlyArray<{ readonly query: string; readonly calls: number; readonly planMs: number; readonly execMs: number }>,
  unknown,
  SqlClient.SqlClient
> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{
      readonly query: string
      readonly calls: string
      readonly plan: string
      readonly exec: string
    }>`
      SELECT query, calls::text AS calls, (total_plan_time / calls)::text AS plan, (total_exec_time / calls)::text AS exec
      FROM pg_stat_statements
      WHERE toplevel AND calls > 0 AND query LIKE ${`%"${schema}".%`}
      ORDER BY calls DESC`
    return rows.map((row) => ({
      query: row.query,
      calls: Number(row.calls),
      planMs: Number(row.plan),
      execMs: Number(row.exec)
    }))
  })

/** Turns on planning-time tracking, on a server the benchmark owns (it changes the server's settings). */
export const trackPlanning: Effect.Effect<void, unknown, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`ALTER SYSTEM SET pg_stat_statements.track_planning = on`
  yield* sql`SELECT pg_reload_conf()`
})

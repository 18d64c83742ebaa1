/**
 * Vitest global setup: the PostgreSQL server every `test/pg` suite runs against.
 *
 * With `SESSIONS_PG_URL` set, the suites use that server (for example Debian's PostgreSQL 15:
 * `SESSIONS_PG_URL=postgres://postgres:secret@127.0.0.1:5432/postgres npx vitest run test/pg`) and
 * nothing is started. Otherwise an embedded server is started on a free loopback port in a temporary
 * directory and removed after the run. Each test repository lives in a schema of its own, so suites
 * running in parallel do not see each other.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import type { TestProject } from "vitest/node"
import { type EmbeddedServer, isAlive, startEmbeddedPostgres } from "../support/pgServer.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** Connection URL of the PostgreSQL server under test. */
    readonly sessionsPgUrl: string
    /** Whether the server was started by this run (and so has `pg_stat_statements`). */
    readonly sessionsPgEmbedded: boolean
  }
}

const loopback = /@(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//

const abandoned = (name: string): boolean => {
  const pid = Number.parseInt(name.split("_")[2] ?? "", 10)
  return Number.isInteger(pid) && !isAlive(pid)
}

/**
 * Drops test schemas and databases (`wgs_t_<pid>_…`) whose process is gone, left by runs that were
 * killed. Only on a server on this machine: there the pid in the name means something.
 */
const dropAbandoned = (url: string) =>
  Effect.gen(function* () {
    const sql = yield* PgClient.PgClient
    const schemas = yield* sql<{ readonly name: string }>`
      SELECT nspname AS name FROM pg_namespace WHERE nspname ~ '^wgs_t_[0-9]+_'`
    for (const { name } of schemas.filter((row) => abandoned(row.name))) {
      yield* sql`DROP SCHEMA IF EXISTS ${sql(name)} CASCADE`
    }
    const databases = yield* sql<{ readonly name: string }>`
      SELECT datname AS name FROM pg_database WHERE datname ~ '^wgs_t_[0-9]+_'`
    for (const { name } of databases.filter((row) => abandoned(row.name))) {
      yield* sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`
    }
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })), Effect.ignore)

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.SESSIONS_PG_URL
  if (external !== undefined && external.length > 0) {
    if (loopback.test(external)) await Effect.runPromise(dropAbandoned(external))
    project.provide("sessionsPgUrl", external)
    project.provide("sessionsPgEmbedded", false)
    return async () => undefined
  }
  const server: EmbeddedServer = await startEmbeddedPostgres()
  project.provide("sessionsPgUrl", server.url)
  project.provide("sessionsPgEmbedded", true)
  return () => server.stop()
}

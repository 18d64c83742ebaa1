/**
 * Schema creation and migration: the tables and indexes the README lists, applied once and in order,
 * idempotent, safe when several processes bootstrap the same schema at once, and refused for a schema
 * name that would need quoting.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as PgSessionRepository from "../../src/PgSessionRepository.js"
import { closeSharedPg, dropSchema, freshSchemaName, pgClientLayer } from "../support/pgLayer.js"

afterAll(closeSharedPg)

const tablesIn = (schema: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<{ readonly table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY table_name`
  ).pipe(Effect.map((rows) => rows.map((row) => row.table_name)))

const indexesIn = (schema: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<{ readonly indexname: string }>`
      SELECT indexname FROM pg_indexes WHERE schemaname = ${schema} ORDER BY indexname`
  ).pipe(Effect.map((rows) => rows.map((row) => row.indexname)))

const appliedMigrations = (schema: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<{ readonly migration_id: number; readonly name: string }>`
      SELECT migration_id, name FROM ${sql(`${schema}.webgates_sessions_migrations`)} ORDER BY migration_id`
  )

/** Runs `body` with a schema name that is dropped afterwards. */
const withSchema = <A, E, R>(body: (schema: string) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(Effect.sync(freshSchemaName), body, dropSchema)

describe("migrations", () => {
  it.scoped("bootstrap creates the schema, the tables and the indexes, in order, once", () =>
    withSchema((schema) =>
      Effect.gen(function* () {
        const repository = yield* PgSessionRepository.make({ schema })
        yield* repository.bootstrap
        expect(yield* tablesIn(schema)).toEqual([
          "families",
          "leases",
          "refresh_tokens",
          "sessions",
          "webgates_sessions_migrations"
        ])
        expect(yield* indexesIn(schema)).toEqual([
          "families_pkey",
          "families_subject_idx",
          "leases_pkey",
          "refresh_tokens_current_idx",
          "refresh_tokens_pkey",
          "refresh_tokens_retired_expiry_idx",
          "refresh_tokens_session_idx",
          "sessions_expiry_idx",
          "sessions_family_idx",
          "sessions_pkey",
          "webgates_sessions_migrations_pkey"
        ])
        expect(yield* appliedMigrations(schema)).toEqual([
          { migration_id: 1, name: "create_tables" },
          { migration_id: 2, name: "create_indexes" }
        ])

        yield* repository.bootstrap
        yield* repository.bootstrap
        expect(yield* appliedMigrations(schema)).toHaveLength(2)
      })
    ).pipe(Effect.provide(pgClientLayer()))
  )

  it.scoped("four processes' pools bootstrapping one new schema at once all succeed, and migrate it once", () =>
    withSchema((schema) =>
      Effect.gen(function* () {
        const bootstrapOnOwnPool = Effect.flatMap(PgSessionRepository.make({ schema }), (r) => r.bootstrap).pipe(
          Effect.provide(pgClientLayer({ maxConnections: 1 }))
        )
        yield* Effect.all(
          Array.from({ length: 4 }, () => bootstrapOnOwnPool),
          { concurrency: "unbounded" }
        )
        expect(yield* appliedMigrations(schema)).toHaveLength(2)
        expect(yield* tablesIn(schema)).toHaveLength(5)
      })
    ).pipe(Effect.provide(pgClientLayer()))
  )

  it.scoped("the layer migrates when built, unless told not to", () =>
    withSchema((schema) =>
      Effect.gen(function* () {
        yield* Layer.build(PgSessionRepository.layer({ schema, migrate: false }))
        expect(yield* tablesIn(schema)).toEqual([])
        yield* Layer.build(PgSessionRepository.layer({ schema }))
        expect(yield* tablesIn(schema)).toHaveLength(5)
      })
    ).pipe(Effect.provide(pgClientLayer()))
  )

  it.scoped("the default schema is webgates_sessions", () =>
    Effect.sync(() => expect(PgSessionRepository.defaultSchema).toBe("webgates_sessions"))
  )

  it.effect("a schema name that needs quoting, or a batch size below one, is a ConfigError", () =>
    Effect.gen(function* () {
      for (const schema of ["Sessions", "a-b", "x;drop", '"q"', "", "s".repeat(64), "1abc"]) {
        const error = yield* Effect.flip(PgSessionRepository.make({ schema }))
        expect(error._tag).toBe("ConfigError")
      }
      for (const purgeBatchSize of [0, -1, 1.5, Number.NaN]) {
        const error = yield* Effect.flip(PgSessionRepository.make({ purgeBatchSize }))
        expect(error._tag).toBe("ConfigError")
      }
    }).pipe(Effect.provide(pgClientLayer()))
  )

  it.scoped("a failed migration is a Bootstrap error with a fixed message, and nothing is half-applied", () =>
    withSchema((schema) =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        // A table in the way of the first migration.
        yield* sql`CREATE SCHEMA ${sql(schema)}`
        yield* sql`CREATE TABLE ${sql(`${schema}.sessions`)} (id int)`
        const repository = yield* PgSessionRepository.make({ schema })
        const error = yield* Effect.flip(repository.bootstrap)
        expect(error).toMatchObject({
          _tag: "RepositoryError",
          reason: "Bootstrap",
          message: "The session store schema could not be created or migrated"
        })
        expect(yield* tablesIn(schema)).toEqual(["sessions"])
      })
    ).pipe(Effect.provide(pgClientLayer()))
  )
})

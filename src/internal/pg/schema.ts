/**
 * The PostgreSQL schema: table names, the ordered migrations, and `bootstrap`, which creates the
 * schema and applies pending migrations with `@effect/sql`'s `Migrator`.
 *
 * Every authority process may call `bootstrap` at start. A transaction-scoped advisory lock, keyed by
 * the schema name, lets one of them do the work while the others wait and then find nothing to do.
 *
 * @since 0.1.0
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { Identifier } from "@effect/sql/Statement"
import { Cause, Effect } from "effect"
import { RepositoryError } from "../../SessionErrors.js"

/**
 * A schema name the repository accepts: a lowercase SQL identifier that needs no quoting.
 *
 * @since 0.1.0
 * @category internal
 */
export const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * The qualified identifiers of the repository's tables in one schema.
 *
 * @since 0.1.0
 * @category internal
 */
export interface Tables {
  readonly schema: string
  readonly families: Identifier
  readonly sessions: Identifier
  readonly refreshTokens: Identifier
  readonly leases: Identifier
}

/**
 * @since 0.1.0
 * @category internal
 */
export const tables = (sql: SqlClient.SqlClient, schema: string): Tables => ({
  schema,
  families: sql(`${schema}.families`),
  sessions: sql(`${schema}.sessions`),
  refreshTokens: sql(`${schema}.refresh_tokens`),
  leases: sql(`${schema}.leases`)
})

/**
 * The table `Migrator` records applied migrations in, inside the repository's schema so that it never
 * meets an application's own migrations table.
 *
 * @since 0.1.0
 * @category internal
 */
export const migrationsTableName = "webgates_sessions_migrations"

// Hashes are 32-byte `bytea` (SHA-256 or HMAC-SHA-256 output), half the size of their hex text in
// table and index. Times are `timestamptz`: millisecond values from Effect's `Clock` fit exactly, the
// columns read naturally in psql, and the driver returns them as `Date` without parsing numbers.
const createTables = (sql: SqlClient.SqlClient, t: Tables) => sql`
CREATE TABLE ${t.families} (
  family_id uuid PRIMARY KEY,
  subject_id text NOT NULL,
  created_at timestamptz NOT NULL,
  revoked boolean NOT NULL DEFAULT false
);
CREATE TABLE ${t.sessions} (
  session_id uuid PRIMARY KEY,
  family_id uuid NOT NULL REFERENCES ${t.families} (family_id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  last_seen_at timestamptz,
  revoked boolean NOT NULL DEFAULT false,
  refresh_revoked boolean NOT NULL DEFAULT false,
  context json NOT NULL
);
CREATE TABLE ${t.refreshTokens} (
  token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  session_id uuid NOT NULL REFERENCES ${t.sessions} (session_id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL,
  retired_at timestamptz,
  predecessor_hash bytea
);
CREATE TABLE ${t.leases} (
  session_id uuid PRIMARY KEY REFERENCES ${t.sessions} (session_id) ON DELETE CASCADE,
  lease_id uuid NOT NULL,
  acquired_at timestamptz NOT NULL,
  held_until timestamptz NOT NULL,
  granted boolean NOT NULL
)`

const createIndexes = (sql: SqlClient.SqlClient, t: Tables) => sql`
CREATE INDEX families_subject_idx ON ${t.families} (subject_id);
CREATE INDEX sessions_family_idx ON ${t.sessions} (family_id);
CREATE INDEX sessions_expiry_idx ON ${t.sessions} (expires_at);
CREATE UNIQUE INDEX refresh_tokens_current_idx ON ${t.refreshTokens} (session_id) WHERE retired_at IS NULL;
CREATE INDEX refresh_tokens_session_idx ON ${t.refreshTokens} (session_id);
CREATE INDEX refresh_tokens_retired_expiry_idx ON ${t.refreshTokens} (expires_at) WHERE retired_at IS NOT NULL`

/**
 * The migrations, in order. Applied ones are never edited; a change to the schema is a new entry.
 *
 * @since 0.1.0
 * @category internal
 */
export const migrations = (sql: SqlClient.SqlClient, t: Tables): Migrator.Loader =>
  Migrator.fromRecord({
    "1_create_tables": createTables(sql, t),
    "2_create_indexes": createIndexes(sql, t)
  })

const runMigrator = Migrator.make({})

const bootstrapFailed = new RepositoryError({
  reason: "Bootstrap",
  message: "The session store schema could not be created or migrated"
})

/**
 * Creates the schema when it is missing and applies pending migrations, in one transaction under an
 * advisory lock. Idempotent. Every failure, including a failed migration (which `Migrator` raises as a
 * defect), becomes a `Bootstrap` error with a fixed message.
 *
 * @since 0.1.0
 * @category internal
 */
export const bootstrap = (sql: SqlClient.SqlClient, t: Tables): Effect.Effect<void, RepositoryError> =>
  sql
    .withTransaction(
      Effect.gen(function* () {
        yield* sql`SELECT pg_advisory_xact_lock(hashtextextended(${`webgates-sessions:${t.schema}`}, 0))`
        const present = yield* sql`SELECT 1 FROM pg_namespace WHERE nspname = ${t.schema}`
        // Checked first rather than `CREATE SCHEMA IF NOT EXISTS`: a role without CREATE on the database
        // can still use a schema an administrator created for it.
        if (present.length === 0) yield* sql`CREATE SCHEMA ${sql(t.schema)}`
        const table = `${t.schema}.${migrationsTableName}`
        // Created here because `Migrator` probes for its table with a query that, failing inside this
        // transaction, would abort it. The columns are the ones `Migrator` itself would create.
        yield* sql`CREATE TABLE IF NOT EXISTS ${sql(table)} (
          migration_id integer PRIMARY KEY,
          created_at timestamptz NOT NULL DEFAULT now(),
          name text NOT NULL
        )`
        yield* runMigrator({ loader: migrations(sql, t), table })
      })
    )
    .pipe(
      // `Migrator` reads the client from the context; it gets the same one, with transforms bypassed.
      Effect.provideService(SqlClient.SqlClient, sql),
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause) ? Effect.interrupt : Effect.fail(bootstrapFailed)
      ),
      Effect.asVoid
    )

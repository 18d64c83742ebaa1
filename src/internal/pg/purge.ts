/**
 * Purging expired state in bounded batches.
 *
 * Each batch is one short statement deleting at most `batchSize` rows, so no transaction holds many
 * locks or runs long; rows another transaction has locked (a renewal in flight) are skipped and left for
 * the next purge rather than waited for.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { DateTime, type Duration, Effect, Option, Schema } from "effect"
import type { RepositoryError } from "../../SessionErrors.js"
import { PurgeResult } from "../../SessionRepository.js"
import { mapSqlError } from "./errors.js"
import { decodeFirst, toDate } from "./rows.js"
import type { Tables } from "./schema.js"

const SessionBatchRow = Schema.Struct({ sessions: Schema.Number, families: Schema.Number, retired: Schema.Number })
const TokenBatchRow = Schema.Struct({ retired: Schema.Number })

/**
 * One batch of sessions expired at or before `cutoff`, with their tokens, leases, and the families
 * left without a session.
 *
 * A session is locked (and so taken) before its lease and tokens, the reverse of rotation's order; the
 * two can only meet on a session that expired longer ago than the retention, which the workflows never
 * rotate. Should it happen, PostgreSQL aborts one of them as a deadlock and nothing is half-done.
 */
const sessionBatch = (sql: SqlClient.SqlClient, t: Tables, cutoff: Date, batchSize: number) => sql`
  WITH doomed AS (
    SELECT session_id, family_id FROM ${t.sessions}
    WHERE expires_at <= ${cutoff}::timestamptz
    ORDER BY expires_at
    LIMIT ${batchSize}
    FOR UPDATE SKIP LOCKED
  ),
  lease AS (DELETE FROM ${t.leases} WHERE session_id IN (SELECT session_id FROM doomed) RETURNING 1),
  tokens AS (
    DELETE FROM ${t.refreshTokens} WHERE session_id IN (SELECT session_id FROM doomed) RETURNING retired_at
  ),
  sess AS (DELETE FROM ${t.sessions} WHERE session_id IN (SELECT session_id FROM doomed) RETURNING family_id),
  fam AS (
    DELETE FROM ${t.families} f
    WHERE f.family_id IN (SELECT family_id FROM doomed)
      AND NOT EXISTS (
        SELECT 1 FROM ${t.sessions} s
        WHERE s.family_id = f.family_id AND s.session_id NOT IN (SELECT session_id FROM doomed)
      )
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM sess)::int AS sessions, (SELECT count(*) FROM fam)::int AS families,
    (SELECT count(*) FROM tokens WHERE retired_at IS NOT NULL)::int AS retired`

/** One batch of retired tokens that would have expired at or before `cutoff`. */
const tokenBatch = (sql: SqlClient.SqlClient, t: Tables, cutoff: Date, batchSize: number) => sql`
  WITH doomed AS (
    SELECT token_hash FROM ${t.refreshTokens}
    WHERE retired_at IS NOT NULL AND expires_at <= ${cutoff}::timestamptz
    LIMIT ${batchSize}
    FOR UPDATE SKIP LOCKED
  ),
  gone AS (DELETE FROM ${t.refreshTokens} WHERE token_hash IN (SELECT token_hash FROM doomed) RETURNING 1)
  SELECT count(*)::int AS retired FROM gone`

/**
 * Removes sessions (with their tokens and leases) and retired tokens whose expiry is at or before
 * `now - retention`, and families left empty. A retired token still inside that window stays, so
 * replay detection keeps working for as long as the token could have been used.
 *
 * @since 0.1.0
 * @category internal
 */
export const purgeExpired =
  (sql: SqlClient.SqlClient, t: Tables, batchSize: number) =>
  (now: DateTime.Utc, retention: Duration.Duration): Effect.Effect<PurgeResult, RepositoryError> =>
    Effect.gen(function* () {
      const cutoff = toDate(DateTime.subtractDuration(now, retention))
      let sessions = 0
      let families = 0
      let retiredTokens = 0
      while (true) {
        const batch = yield* sessionBatch(sql, t, cutoff, batchSize).pipe(
          mapSqlError("purgeExpired"),
          Effect.flatMap(decodeFirst(SessionBatchRow, "purgeExpired")),
          Effect.map(Option.getOrElse(() => ({ sessions: 0, families: 0, retired: 0 })))
        )
        sessions += batch.sessions
        families += batch.families
        retiredTokens += batch.retired
        if (batch.sessions < batchSize) break
      }
      while (true) {
        const batch = yield* tokenBatch(sql, t, cutoff, batchSize).pipe(
          mapSqlError("purgeExpired"),
          Effect.flatMap(decodeFirst(TokenBatchRow, "purgeExpired")),
          Effect.map(Option.getOrElse(() => ({ retired: 0 })))
        )
        retiredTokens += batch.retired
        if (batch.retired < batchSize) break
      }
      return new PurgeResult({ sessions, families, retiredTokens })
    })

/**
 * The read operations: each is one `SELECT`, reading one consistent snapshot.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { DateTime } from "effect"
import { Effect, Option } from "effect"
import * as Session from "../../Session.js"
import type { RepositoryError } from "../../SessionErrors.js"
import { ListedSession, RefreshTokenMatch } from "../../SessionRepository.js"
import type { RefreshTokenHash } from "../../Tokens.js"
import { checkSubjectId, isHash, isUuid, mapSqlError, type Operation } from "./errors.js"
import {
  decodeContext,
  decodeFirst,
  decodeRows,
  FamilyRow,
  ListedRow,
  SessionRow,
  TokenMatchRow,
  toDate,
  toFamily,
  toRefreshRecord,
  toSession
} from "./rows.js"
import type { Tables } from "./schema.js"

const noValidation = { disableValidation: true } as const

/**
 * The session, family and token state for a hash. A retired token is the direct predecessor when the
 * session's current token names it as the token it replaced.
 *
 * @since 0.1.0
 * @category internal
 */
export const findByHash =
  (sql: SqlClient.SqlClient, t: Tables) =>
  (hash: RefreshTokenHash): Effect.Effect<Option.Option<RefreshTokenMatch>, RepositoryError> => {
    if (!isHash(hash)) return Effect.succeedNone
    return sql`
      SELECT s.session_id, s.family_id, f.subject_id, s.created_at, s.expires_at, s.last_seen_at, s.revoked,
        s.refresh_revoked, f.created_at AS family_created_at, f.revoked AS family_revoked, r.retired_at,
        (r.retired_at IS NOT NULL AND EXISTS (
          SELECT 1 FROM ${t.refreshTokens} c
          WHERE c.session_id = r.session_id AND c.retired_at IS NULL AND c.predecessor_hash = r.token_hash
        )) AS direct_predecessor
      FROM ${t.refreshTokens} r
      JOIN ${t.sessions} s ON s.session_id = r.session_id
      JOIN ${t.families} f ON f.family_id = s.family_id
      WHERE r.token_hash = decode(${hash}, 'hex')`.pipe(
      mapSqlError("findSessionByRefreshTokenHash"),
      Effect.flatMap(decodeFirst(TokenMatchRow, "findSessionByRefreshTokenHash")),
      Effect.map(
        Option.map((row): RefreshTokenMatch => {
          if (row.retired_at !== null) {
            return RefreshTokenMatch.Retired({
              sessionId: row.session_id,
              familyId: row.family_id,
              retiredAt: row.retired_at,
              directPredecessor: row.direct_predecessor
            })
          }
          return RefreshTokenMatch.Current({
            lookup: new Session.SessionLookup(
              { session: toSession(row), family: toFamily(row), refreshRecord: toRefreshRecord(row) },
              noValidation
            )
          })
        })
      )
    )
  }

// The session row by id, decoded and mapped; a malformed id cannot match, so no statement is sent for it.
const sessionById =
  <A>(operation: Operation, toValue: (row: SessionRow) => A) =>
  (sql: SqlClient.SqlClient, t: Tables) =>
  (sessionId: Session.SessionId): Effect.Effect<Option.Option<A>, RepositoryError> =>
    isUuid(sessionId)
      ? sql`
          SELECT s.session_id, s.family_id, f.subject_id, s.created_at, s.expires_at, s.last_seen_at, s.revoked,
            s.refresh_revoked
          FROM ${t.sessions} s JOIN ${t.families} f ON f.family_id = s.family_id
          WHERE s.session_id = ${sessionId}`.pipe(
          mapSqlError(operation),
          Effect.flatMap(decodeFirst(SessionRow, operation)),
          Effect.map(Option.map(toValue))
        )
      : Effect.succeedNone

/**
 * @since 0.1.0
 * @category internal
 */
export const findSession = sessionById("findSession", toSession)

/**
 * The refresh record of a session's current token.
 *
 * @since 0.1.0
 * @category internal
 */
export const findRefreshRecord = sessionById("findRefreshRecord", toRefreshRecord)

/**
 * @since 0.1.0
 * @category internal
 */
export const findFamily =
  (sql: SqlClient.SqlClient, t: Tables) =>
  (familyId: Session.SessionFamilyId): Effect.Effect<Option.Option<Session.SessionFamily>, RepositoryError> =>
    isUuid(familyId)
      ? sql`
          SELECT family_id, subject_id, created_at AS family_created_at, revoked AS family_revoked
          FROM ${t.families} WHERE family_id = ${familyId}`.pipe(
          mapSqlError("findFamily"),
          Effect.flatMap(decodeFirst(FamilyRow, "findFamily")),
          Effect.map(Option.map(toFamily))
        )
      : Effect.succeedNone

/**
 * A subject's sessions that are active at `now` in families that are not revoked, oldest first.
 *
 * @since 0.1.0
 * @category internal
 */
export const listSessions =
  (sql: SqlClient.SqlClient, t: Tables) =>
  (subjectId: Session.SubjectId, now: DateTime.Utc): Effect.Effect<ReadonlyArray<ListedSession>, RepositoryError> =>
    Effect.gen(function* () {
      const subject = yield* checkSubjectId(subjectId)
      const rows = yield* sql`
        SELECT s.session_id, s.family_id, f.subject_id, s.created_at, s.expires_at, s.last_seen_at, s.revoked,
          s.refresh_revoked, s.context
        FROM ${t.families} f JOIN ${t.sessions} s ON s.family_id = f.family_id
        WHERE f.subject_id = ${subject} AND NOT f.revoked AND NOT s.revoked AND NOT s.refresh_revoked
          AND s.expires_at > ${toDate(now)}
        ORDER BY s.created_at, s.session_id`.pipe(
        mapSqlError("listSessions"),
        Effect.flatMap(decodeRows(ListedRow, "listSessions"))
      )
      return yield* Effect.forEach(rows, (row) =>
        Effect.map(
          decodeContext(row.context, "listSessions"),
          (context) => new ListedSession({ session: toSession(row), context })
        )
      )
    })

/**
 * Faults: the backend running a rotation is terminated mid-statement; the server goes away and comes
 * back. The caller sees typed `Backend` errors with fixed messages, the store is left with exactly one
 * current token per session, and the pool recovers on fresh connections.
 *
 * The restart tests use a server of their own (embedded, even when `SESSIONS_PG_URL` is set), since
 * stopping the shared one would fail every other suite running at the same time.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Option, TestClock } from "effect"
import type { RepositoryError } from "../../src/SessionErrors.js"
import { SessionIssuer } from "../../src/SessionIssuer.js"
import { SessionRepository } from "../../src/SessionRepository.js"
import { authority, renew, renewedToken } from "../support/pgAuthority.js"
import {
  closeSharedPg,
  freshRepositoryOnClient,
  holdingLock,
  isolatedRepository,
  PgTestSchema,
  pgClientLayer
} from "../support/pgLayer.js"
import { type EmbeddedServer, startEmbeddedPostgres } from "../support/pgServer.js"

afterAll(closeSharedPg)

/**
 * The pid of the backend waiting for a lock inside this schema's rotation statement (recognised by its
 * first CTE: `pg_stat_activity` keeps only the first kilobyte of a statement).
 */
const waitingRotation = (sql: SqlClient.SqlClient, schema: string) => {
  const probe = sql<{ readonly pid: number }>`
    SELECT pid FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND query LIKE '%WITH snap AS%' AND query LIKE ${`%"${schema}".%`}`
  // Polled without sleeping: each probe is a round trip, and the rotation blocks within a few.
  const poll = (attempt: number): Effect.Effect<number, unknown> =>
    Effect.flatMap(probe, (rows) => {
      const row = rows[0]
      if (row !== undefined) return Effect.succeed(row.pid)
      return attempt >= 5000 ? Effect.fail(new Error("the rotation never blocked")) : poll(attempt + 1)
    })
  return poll(0)
}

describe("a rotation whose backend is terminated", () => {
  it.effect("fails with Backend, leaves the old token current, and the next renewal succeeds", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const schema = yield* PgTestSchema
      const repo = yield* SessionRepository
      const issued = yield* Effect.flatMap(SessionIssuer, (issuer) => issuer.issue("fault"))
      const token = issued.tokens.refreshToken

      // Another transaction holds the current token's row, so the rotation stops at its retire step,
      // after it has consumed the lease and updated the session.
      const release = yield* holdingLock(sql`
        SELECT 1 FROM ${sql(`${schema}.refresh_tokens`)}
        WHERE token_hash = decode(${issued.refreshTokenHash}, 'hex') FOR UPDATE`)

      const renewal = yield* Effect.fork(renew(token))
      const pid = yield* waitingRotation(sql, schema)
      yield* sql`SELECT pg_terminate_backend(${pid})`
      const exit = yield* Fiber.await(renewal)
      yield* release

      const error = yield* Exit.match(exit, {
        onSuccess: (outcome) => Effect.die(`the renewal succeeded: ${outcome._tag}`),
        onFailure: (cause) => Effect.flip(Effect.failCause(cause))
      })
      expect(error).toMatchObject({
        _tag: "RepositoryError",
        reason: "Backend",
        message: "The session store failed during rotateRefreshToken"
      } satisfies Partial<RepositoryError>)

      // Exactly one current token, and it is the old one: the statement was rolled back as a whole.
      const current = yield* sql<{ readonly hash: string }>`
        SELECT encode(token_hash, 'hex') AS hash FROM ${sql(`${schema}.refresh_tokens`)}
        WHERE session_id = ${issued.session.sessionId} AND retired_at IS NULL`
      expect(current).toEqual([{ hash: issued.refreshTokenHash }])
      const lookup = yield* repo.findSessionByRefreshTokenHash(issued.refreshTokenHash)
      expect(Option.map(lookup, (match) => match._tag)).toEqual(Option.some("Current"))
      const stillThere = yield* sql`SELECT 1 FROM pg_stat_activity WHERE pid = ${pid}`
      expect(stillThere).toHaveLength(0)

      // The dead renewal's lease was restored with the rollback; once it expires, renewal works again.
      expect(yield* renew(token)).toMatchObject({ _tag: "LeaseUnavailable" })
      yield* TestClock.adjust(Duration.seconds(31))
      const next = yield* renew(token)
      expect(next._tag).toBe("Renewed")
      expect((yield* renew(Option.getOrThrow(renewedToken(next))))._tag).toBe("Renewed")
    }).pipe(Effect.provide(authority(isolatedRepository())))
  )
})

describe("a server that goes away and comes back", () => {
  let server: EmbeddedServer | undefined
  beforeAll(async () => {
    server = await startEmbeddedPostgres()
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
  })

  const own = () => {
    if (server === undefined) throw new Error("the test server did not start")
    return server
  }

  it.live("calls fail with a fixed Backend message while it is down, and the pool recovers after", () =>
    Effect.gen(function* () {
      const issued = yield* Effect.flatMap(SessionIssuer, (issuer) => issuer.issue("restart"))
      const first = yield* renew(issued.tokens.refreshToken)
      expect(first._tag).toBe("Renewed")
      let token = Option.getOrThrow(renewedToken(first))

      // A restart between two calls: the pool's connections all died with the old server.
      yield* Effect.promise(() => own().pause())
      yield* Effect.promise(() => own().resume())
      const afterRestart = yield* renew(token)
      expect(afterRestart._tag).toBe("Renewed")
      token = Option.getOrThrow(renewedToken(afterRestart))

      // Down: a typed error with a fixed message, nothing about the connection.
      yield* Effect.promise(() => own().pause())
      const down = yield* Effect.flip(renew(token))
      expect(down).toMatchObject({ _tag: "RepositoryError", reason: "Backend" })
      expect(down.message).toBe("The session store failed during findSessionByRefreshTokenHash")
      yield* Effect.promise(() => own().resume())

      expect((yield* renew(token))._tag).toBe("Renewed")
    }).pipe(
      Effect.provide(
        Layer.unwrapEffect(
          Effect.sync(() =>
            authority(freshRepositoryOnClient().pipe(Layer.provideMerge(pgClientLayer({ url: own().url }))))
          )
        )
      )
    )
  )
})

/**
 * No plaintext refresh token in the database: after a full lifecycle (logins, renewals, a superseded
 * and a replayed token, revocations), every column of every row in the repository's schema,
 * rendered as text, is searched for every refresh token that was issued.
 */
import { createHash } from "node:crypto"
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Option, TestClock } from "effect"
import { SessionIssuer } from "../../src/SessionIssuer.js"
import { SessionRevoker } from "../../src/SessionRevoker.js"
import * as Logout from "../../src/Logout.js"
import type * as Tokens from "../../src/Tokens.js"
import { authority, plaintext, renew, renewedToken } from "../support/pgAuthority.js"
import { closeSharedPg, isolatedRepository, PgTestSchema } from "../support/pgLayer.js"

afterAll(closeSharedPg)

/** Every row of every table in `schema`, each rendered as one text (bytea as hex, json as text). */
const everyRowAsText = (schema: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const tables = yield* sql<{ readonly table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema}`
    const rows: Array<string> = []
    for (const { table_name } of tables) {
      const texts = yield* sql<{ readonly row: string }>`SELECT t::text AS row FROM ${sql(`${schema}.${table_name}`)} t`
      rows.push(...texts.map((text) => text.row))
    }
    return { tables: tables.length, rows }
  })

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

describe("no plaintext refresh token is stored", () => {
  it.effect("a scan of every column after a lifecycle finds no issued refresh token", () =>
    Effect.gen(function* () {
      const issuer = yield* SessionIssuer
      const revoker = yield* SessionRevoker
      const issued: Array<Tokens.RefreshToken> = []

      const keep = yield* issuer.issue("alice")
      const replayed = yield* issuer.issue("alice")
      const revoked = yield* issuer.issue("bob")
      issued.push(keep.tokens.refreshToken, replayed.tokens.refreshToken, revoked.tokens.refreshToken)

      // Three generations of one session.
      let token = keep.tokens.refreshToken
      for (let generation = 0; generation < 3; generation++) {
        yield* TestClock.adjust(Duration.minutes(1))
        const outcome = yield* renew(token)
        token = Option.getOrThrow(renewedToken(outcome))
        issued.push(token)
      }
      // A rotated token presented after the grace: replay, the family is revoked.
      const first = yield* renew(replayed.tokens.refreshToken)
      issued.push(Option.getOrThrow(renewedToken(first)))
      yield* TestClock.adjust(Duration.minutes(1))
      expect((yield* renew(replayed.tokens.refreshToken))._tag).toBe("ReplayDetected")
      yield* revoker.revoke(
        new Logout.LogoutRequest({
          sessionId: revoked.session.sessionId,
          familyId: revoked.session.familyId,
          scope: "CurrentSession"
        })
      )

      const schema = yield* PgTestSchema
      const { tables, rows } = yield* everyRowAsText(schema)
      expect(tables).toBe(5)
      expect(rows.length).toBeGreaterThan(10)
      for (const refreshToken of issued) {
        const secret = plaintext(refreshToken)
        for (const row of rows) expect(row.includes(secret)).toBe(false)
        // What is stored instead is the SHA-256, as bytes.
        expect(rows.some((row) => row.includes(sha256(secret)))).toBe(true)
      }
    }).pipe(Effect.provide(authority(isolatedRepository())))
  )
})

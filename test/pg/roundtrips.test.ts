/**
 * Round trips of a renewal: a successful renewal sends exactly three statements to PostgreSQL (hash
 * lookup, lease, rotation) and no transaction; a renewal that needs no storage sends none. Counted on
 * the client, from the spans `@effect/sql` opens per statement and per transaction, and on the server
 * from `pg_stat_statements` when it is installed (it is on the embedded test server): there in a
 * database of its own, so that everything the server received, BEGIN and COMMIT included, is counted.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option } from "effect"
import * as Renewal from "../../src/Renewal.js"
import { SessionIssuer } from "../../src/SessionIssuer.js"
import { SessionRenewer } from "../../src/SessionRenewer.js"
import { authority, countingSpans, renew, renewedToken, spans, statementCalls } from "../support/pgAuthority.js"
import {
  closeSharedPg,
  freshRepositoryOnClient,
  isolatedRepository,
  pgClientLayer,
  pgEmbedded,
  scratchDatabase
} from "../support/pgLayer.js"
import { reportFigures } from "../support/pgReport.js"

afterAll(closeSharedPg)

const login = Effect.flatMap(SessionIssuer, (issuer) => issuer.issue("round-trips"))

describe("statements per renewal", () => {
  it.effect("a successful renewal sends 3 statements and opens no transaction", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const database = yield* scratchDatabase
      const perRenewal: Array<number> = []

      yield* Effect.gen(function* () {
        let token = (yield* login).tokens.refreshToken
        for (let generation = 0; generation < 3; generation++) {
          const before = yield* statementCalls(sql, database.name)
          const [outcome, counts] = yield* countingSpans(renew(token))
          const after = yield* statementCalls(sql, database.name)

          expect(outcome._tag).toBe("Renewed")
          expect(spans(counts, "sql.execute")).toBe(3)
          expect(spans(counts, "sql.transaction")).toBe(0)
          // The embedded server always has pg_stat_statements; another server may not.
          if (pgEmbedded()) expect(Option.isSome(before) && Option.isSome(after)).toBe(true)
          if (Option.isSome(before) && Option.isSome(after)) {
            perRenewal.push(after.value - before.value)
            expect(after.value - before.value).toBe(3)
          }
          token = Option.getOrThrow(renewedToken(outcome))
        }
      }).pipe(
        Effect.provide(
          authority(freshRepositoryOnClient().pipe(Layer.provideMerge(pgClientLayer({ url: database.url }))))
        )
      )
      reportFigures("statements per successful renewal", { client: 3, server: perRenewal })
    }).pipe(
      // The scratch database is dropped when this scope closes, which must be while the client is open.
      Effect.scoped,
      Effect.provide(pgClientLayer())
    )
  )

  it.effect("a renewal decided without storage sends no statement", () =>
    Effect.gen(function* () {
      const token = (yield* login).tokens.refreshToken
      const renewer = yield* SessionRenewer
      const [outcome, counts] = yield* countingSpans(
        renewer.renew({
          authTokenState: Renewal.AuthTokenState.Valid({ expiresIn: Duration.minutes(10) }),
          requirement: "Required",
          refreshToken: token
        })
      )
      expect(outcome._tag).toBe("NotNeeded")
      expect(spans(counts, "sql.execute")).toBe(0)
    }).pipe(Effect.provide(authority(isolatedRepository())))
  )

  it.effect("a superseded renewal sends one read and writes nothing", () =>
    Effect.gen(function* () {
      const token = (yield* login).tokens.refreshToken
      expect((yield* renew(token))._tag).toBe("Renewed")
      const [outcome, counts] = yield* countingSpans(renew(token))
      expect(outcome._tag).toBe("Superseded")
      expect(spans(counts, "sql.execute")).toBe(1)
    }).pipe(Effect.provide(authority(isolatedRepository())))
  )
})

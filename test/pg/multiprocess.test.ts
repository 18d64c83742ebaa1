/**
 * Four authority processes, each with its own connection pool, renew the same 50 sessions at once for
 * a few seconds.
 *
 * The parent hands every child the current refresh token of every session, waits until all four have
 * answered for that generation, and passes the winner's new token on as the next generation. So every
 * generation of every session is contended by four processes, and no child ever presents a token more
 * than one generation old (an older one is a genuine replay, not a benign race). Every generation must be
 * renewed exactly once; the other three attempts end `LeaseUnavailable` or `Superseded`; no family is
 * revoked; and every session renews again afterwards.
 */
import { type ChildProcess, fork } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as SqlClient from "@effect/sql/SqlClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import { SessionIssuer } from "../../src/SessionIssuer.js"
import * as Tokens from "../../src/Tokens.js"
import { authority, plaintext, renew } from "../support/pgAuthority.js"
import { closeSharedPg, freshRepositoryOnClient, PgTestSchema, pgClientLayer, pgUrl } from "../support/pgLayer.js"
import { reportFigures } from "../support/pgReport.js"
import type { ChildMessage, ParentMessage } from "./renewChild.js"

afterAll(closeSharedPg)

const processes = 4
const sessionCount = 50
const durationMs = 5000
const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "renewChild.ts")

interface Tally {
  readonly renewedPerProcess: Array<number>
  readonly otherOutcomes: Map<string, number>
  readonly generationsPerSession: Array<number>
  /** The current refresh token of each session when the time was up. */
  readonly finalTokens: Array<string>
  readonly anomalies: Array<string>
}

const startChild = (url: string, schema: string): ChildProcess =>
  fork(childScript, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, WGS_CHILD_PG_URL: url, WGS_CHILD_SCHEMA: schema },
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })

const awaitReady = (child: ChildProcess): Promise<void> =>
  new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`a child exited with ${code} before it was ready`)))
    child.on("message", (message: ChildMessage) => {
      if (message.type === "ready") resolve()
      if (message.type === "failed") reject(new Error(message.message))
    })
  })

/** Drives the generations until the time is up; resolves with what every child answered. */
const contend = (children: ReadonlyArray<ChildProcess>, tokens: ReadonlyArray<string>): Promise<Tally> =>
  new Promise((resolve, reject) => {
    const deadline = performance.now() + durationMs
    const tally: Tally = {
      renewedPerProcess: children.map(() => 0),
      otherOutcomes: new Map(),
      generationsPerSession: tokens.map(() => 0),
      finalTokens: [...tokens],
      anomalies: []
    }
    // Answers for the generation in flight, per session.
    const answers = tokens.map(() => [] as Array<{ readonly outcome: string; readonly token?: string }>)
    let open = tokens.length

    const broadcast = (session: number, generation: number, token: string) => {
      const message: ParentMessage = { type: "renew", session, generation, token }
      for (const child of children) child.send(message)
    }

    const settle = (session: number, generation: number) => {
      const got = answers[session] ?? []
      answers[session] = []
      const winners = got.filter((answer) => answer.outcome === "Renewed")
      for (const answer of got) {
        if (answer.outcome === "Renewed") continue
        tally.otherOutcomes.set(answer.outcome, (tally.otherOutcomes.get(answer.outcome) ?? 0) + 1)
        if (answer.outcome !== "LeaseUnavailable" && answer.outcome !== "Superseded") {
          tally.anomalies.push(`session ${session} generation ${generation}: ${answer.outcome}`)
        }
      }
      const winner = winners[0]
      if (winners.length !== 1 || winner?.token === undefined) {
        tally.anomalies.push(`session ${session} generation ${generation}: ${winners.length} renewals`)
        open--
      } else {
        tally.generationsPerSession[session] = generation + 1
        tally.finalTokens[session] = winner.token
        if (performance.now() < deadline) return broadcast(session, generation + 1, winner.token)
        open--
      }
      if (open === 0) resolve(tally)
    }

    children.forEach((child, index) => {
      child.on("message", (message: ChildMessage) => {
        if (message.type === "failed") return reject(new Error(`child ${index}: ${message.message}`))
        if (message.type !== "outcome") return
        if (message.outcome === "Renewed") tally.renewedPerProcess[index] = (tally.renewedPerProcess[index] ?? 0) + 1
        const got = answers[message.session]
        if (got === undefined) return reject(new Error(`unknown session ${message.session}`))
        got.push(
          message.token === undefined
            ? { outcome: message.outcome }
            : { outcome: message.outcome, token: message.token }
        )
        if (got.length === children.length) settle(message.session, message.generation)
      })
      child.once("exit", (code) => {
        if (open > 0) reject(new Error(`child ${index} exited with ${code} while renewing`))
      })
    })
    for (const [session, token] of tokens.entries()) broadcast(session, 0, token)
  })

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    if (child.connected) child.send({ type: "stop" } satisfies ParentMessage)
    else child.kill("SIGTERM")
  })

describe("four processes renewing the same sessions", () => {
  it.live(
    "renew every generation of every session exactly once, revoke no family, and leave all renewable",
    () =>
      Effect.gen(function* () {
        const schema = yield* PgTestSchema
        const sql = yield* SqlClient.SqlClient
        const issuer = yield* SessionIssuer
        const issued = yield* Effect.forEach(
          Array.from({ length: sessionCount }, (_, i) => i),
          (i) => issuer.issue(`multi-${i}`)
        )

        const children = yield* Effect.acquireRelease(
          Effect.sync(() => Array.from({ length: processes }, () => startChild(pgUrl(), schema))),
          (started) => Effect.promise(() => Promise.all(started.map(stopChild)))
        )
        yield* Effect.promise(() => Promise.all(children.map(awaitReady)))
        const started = performance.now()
        const tally = yield* Effect.promise(() =>
          contend(
            children,
            issued.map((i) => plaintext(i.tokens.refreshToken))
          )
        )
        const seconds = (performance.now() - started) / 1000
        yield* Effect.promise(() => Promise.all(children.map(stopChild)))

        const generations = tally.generationsPerSession.reduce((a, b) => a + b, 0)
        const renewed = tally.renewedPerProcess.reduce((a, b) => a + b, 0)
        const [revoked] = yield* sql<{ readonly n: number }>`
          SELECT count(*)::int AS n FROM ${sql(`${schema}.families`)} WHERE revoked`
        const [tokensRow] = yield* sql<{ readonly current: number; readonly retired: number }>`
          SELECT count(*) FILTER (WHERE retired_at IS NULL)::int AS current,
            count(*) FILTER (WHERE retired_at IS NOT NULL)::int AS retired
          FROM ${sql(`${schema}.refresh_tokens`)}`
        reportFigures("multi-process renewals", {
          processes,
          sessions: sessionCount,
          seconds: Number(seconds.toFixed(2)),
          renewedPerProcess: tally.renewedPerProcess,
          totalGenerations: generations,
          minGenerationsPerSession: Math.min(...tally.generationsPerSession),
          losingOutcomes: Object.fromEntries(tally.otherOutcomes),
          revokedFamilies: revoked?.n,
          currentTokens: tokensRow?.current,
          retiredTokens: tokensRow?.retired
        })

        expect(tally.anomalies).toEqual([])
        expect(renewed).toBe(generations)
        // How many generations fit in the time depends on the machine; every session completes at least one.
        expect(Math.min(...tally.generationsPerSession)).toBeGreaterThanOrEqual(1)
        expect(revoked?.n).toBe(0)
        expect(tokensRow).toEqual({ current: sessionCount, retired: generations })
        const losers = [...tally.otherOutcomes.values()].reduce((a, b) => a + b, 0)
        expect(losers).toBe(generations * (processes - 1))

        // Every session renews once more, here, with the last token the children handed out.
        const last = yield* sql<{ readonly n: number }>`
          SELECT count(*)::int AS n FROM ${sql(`${schema}.sessions`)} WHERE NOT revoked AND NOT refresh_revoked`
        expect(last[0]?.n).toBe(sessionCount)
        yield* Effect.forEach(
          tally.finalTokens,
          (token) =>
            Effect.gen(function* () {
              const refreshToken = yield* Either.match(Tokens.refreshTokenFromString(token), {
                onLeft: Effect.fail,
                onRight: Effect.succeed
              })
              expect((yield* renew(refreshToken))._tag).toBe("Renewed")
            }),
          { concurrency: 10 }
        )
      }).pipe(
        Effect.scoped,
        Effect.provide(
          authority(freshRepositoryOnClient().pipe(Layer.provideMerge(pgClientLayer({ maxConnections: 10 }))))
        )
      ),
    90_000
  )
})

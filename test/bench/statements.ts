/**
 * Statements per renewal on PostgreSQL: counted on the client from the `sql.execute` and
 * `sql.transaction` spans `@effect/sql` opens, and on the server from `pg_stat_statements` (with planning
 * and execution time per statement where the benchmark owns the server).
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, type ManagedRuntime, Option } from "effect"
import { countingSpans, spans } from "../support/pgAuthority.js"
import { type Authority, renewalRequest, type TokenQueue } from "./authority.js"
import {
  hasStatementStats,
  resetStatementStats,
  statementsSinceReset,
  statementTimes,
  trackPlanning
} from "./postgres.js"
import type { Results } from "./report.js"

export interface StatementsInput {
  readonly admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>
  readonly authority: Authority
  readonly queue: TokenQueue
  readonly schema: string
  readonly renewals: number
  /** Whether the benchmark started the server, and so may change its settings. */
  readonly ownsServer: boolean
  readonly results: Results
  readonly log: (line: string) => void
}

const labelOf = (query: string): string => {
  const text = query.replace(/\s+/g, " ").trim()
  if (text.startsWith("WITH target") && text.includes("leases")) return "lease"
  if (text.startsWith("WITH snap")) return "rotation"
  if (text.startsWith("SELECT s.session_id") && text.includes("refresh_tokens")) return "hash lookup"
  return text.slice(0, 40)
}

export const measureStatements = async (input: StatementsInput): Promise<void> => {
  const { admin, authority, queue, results } = input
  const serverCounts = await admin.runPromise(hasStatementStats)
  if (serverCounts && input.ownsServer) await admin.runPromise(trackPlanning)
  if (serverCounts) await admin.runPromise(resetStatementStats)

  const outcomes = results.tallied("renewals whose statements were counted", "Renewed")
  let executed = 0
  let transactions = 0
  for (let i = 0; i < input.renewals; i++) {
    const token = queue.shift()
    const [outcome, counted] = await authority.runtime.runPromise(
      countingSpans(authority.renewer.renew(renewalRequest(token)))
    )
    outcomes.add(outcome._tag)
    executed += spans(counted, "sql.execute")
    transactions += spans(counted, "sql.transaction")
    queue.push(outcome._tag === "Renewed" ? outcome.tokens.refreshToken : token)
  }
  const onServer = serverCounts ? await admin.runPromise(statementsSinceReset) : Option.none()
  const statements = serverCounts ? await admin.runPromise(statementTimes(input.schema)) : []

  const renewed = outcomes.count("Renewed")
  const perRenewal = executed / renewed
  const serverPerRenewal = Option.getOrUndefined(Option.map(onServer, (n) => n / renewed))
  results.figures.push(
    ["statements per successful renewal (client: `sql.execute` spans)", perRenewal.toFixed(2)],
    ["transactions per successful renewal (client: `sql.transaction` spans)", (transactions / renewed).toFixed(2)],
    [
      "statements per successful renewal (server: `pg_stat_statements`, BEGIN/COMMIT included)",
      serverPerRenewal === undefined ? "not available" : serverPerRenewal.toFixed(2)
    ],
    ...statements.map((statement): readonly [string, string] => [
      `server time per ${labelOf(statement.query)} statement (${statement.calls} calls): planning + execution`,
      `${statement.planMs.toFixed(3)} + ${statement.execMs.toFixed(3)} ms`
    ])
  )
  const issued = await authority.runtime.runPromise(
    Effect.map(countingSpans(authority.issuer.issue("user-statements")), ([, counted]) => spans(counted, "sql.execute"))
  )
  results.figures.push(["statements per issue (client)", String(issued)])
  results.ratioTarget("statements per successful renewal", 3, Math.max(perRenewal, serverPerRenewal ?? 0), false)
  input.log(
    `statements per renewal: ${perRenewal.toFixed(2)} (client), ${serverPerRenewal?.toFixed(2) ?? "–"} (server)`
  )
}

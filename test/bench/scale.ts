/**
 * PostgreSQL renewal with a small and a large store: both bulk-loaded the same way, then renewed
 * interleaved, the large one on a random sample of its sessions (each renewed at most once per pass, so
 * most lookups reach rows no earlier renewal has touched).
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { ManagedRuntime } from "effect"
import { type Authority, refreshToken, renewOperation, TokenQueue } from "./authority.js"
import { elapsedSince, type Measurement, type Spec } from "./harness.js"
import { bulkLoad, bulkTokenPlaintext, schemaBytes } from "./postgres.js"
import type { Results } from "./report.js"

export interface ScaleInput {
  readonly admin: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>
  /** An authority over the repository in `schema`. */
  readonly authority: (schema: string) => Promise<Authority>
  readonly small: { readonly schema: string; readonly sessions: number; readonly name: string }
  readonly large: { readonly schema: string; readonly sessions: number; readonly name: string }
  readonly sample: number
  readonly concurrency: ReadonlyArray<number>
  readonly serverCpu: Spec["serverCpu"]
  readonly group: (specs: ReadonlyArray<Spec>) => Promise<ReadonlyArray<Measurement>>
  readonly count: (n: number) => string
  readonly results: Results
  readonly log: (line: string) => void
}

/** `size` distinct row numbers from 1 to `of`, in random order. */
const sample = (of: number, size: number): Array<number> => {
  if (size >= of) {
    const all = Array.from({ length: of }, (_, i) => i + 1)
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      const swap = all[i] ?? 0
      all[i] = all[j] ?? 0
      all[j] = swap
    }
    return all
  }
  const chosen = new Set<number>()
  while (chosen.size < size) chosen.add(1 + Math.floor(Math.random() * of))
  return [...chosen]
}

const queueOf = (rowNumbers: ReadonlyArray<number>): TokenQueue => {
  const queue = new TokenQueue(rowNumbers.length)
  for (const i of rowNumbers) queue.push(refreshToken(bulkTokenPlaintext(i)))
  return queue
}

export const measureScale = async (input: ScaleInput): Promise<void> => {
  const { admin, results, log, count } = input
  for (const store of [input.small, input.large]) {
    const started = performance.now()
    log(`bulk-loading ${store.sessions} sessions into ${store.schema}`)
    await admin.runPromise(bulkLoad(store.schema, store.sessions, (step) => log(`  ${step}`)))
    const bytes = await admin.runPromise(schemaBytes(store.schema))
    log(`loaded ${store.schema} in ${elapsedSince(started)}: ${(bytes / 2 ** 20).toFixed(0)} MiB with indexes`)
    results.figures.push([
      `PostgreSQL store with ${count(store.sessions)} sessions, tables and indexes`,
      `${(bytes / 2 ** 20).toFixed(1)} MiB`
    ])
  }
  const smallRenew = renewOperation(
    await input.authority(input.small.schema),
    queueOf(sample(input.small.sessions, input.small.sessions)),
    results.tallied(input.small.name, "Renewed")
  )
  const largeRenew = renewOperation(
    await input.authority(input.large.schema),
    queueOf(sample(input.large.sessions, input.sample)),
    results.tallied(input.large.name, "Renewed")
  )
  const ratio = `${count(input.large.sessions)} ÷ ${count(input.small.sessions)} stored sessions`
  for (const concurrency of input.concurrency) {
    const [small, large] = await input.group([
      { name: input.small.name, concurrency, operation: smallRenew, serverCpu: input.serverCpu },
      { name: input.large.name, concurrency, operation: largeRenew, serverCpu: input.serverCpu }
    ])
    if (small === undefined || large === undefined) continue
    results.addGroup([small, large])
    results.figures.push([
      `PostgreSQL renewal p50, ${ratio}, concurrency ${concurrency}`,
      (large.p50Ms / small.p50Ms).toFixed(3)
    ])
    results.ratioTarget(
      `PostgreSQL renewal p99 at ${count(input.large.sessions)} ÷ at ${count(input.small.sessions)} (c${concurrency})`,
      1.25,
      large.p99Ms / small.p99Ms,
      false
    )
  }
}

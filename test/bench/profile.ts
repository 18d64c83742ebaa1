/**
 * One workload of the benchmark, alone, under V8's sampling profiler (through `node:inspector`, started
 * after the setup and the warm-up, so the profile holds the measured window only):
 *
 *   npx tsx test/bench/profile.ts <workload> [seconds] [concurrency] [output.cpuprofile]
 *   npx tsx test/bench/profileSummary.ts <output.cpuprofile>
 *
 * Workloads: `sign` (jose ES384 alone), `memory-renew`, `memory-issue`, `pg-renew`, `pg-issue`, `classify`,
 * `verify` (jose `jwtVerify` alone). Defaults: 10 seconds at concurrency 16. The signatures themselves run
 * on libuv's thread pool, so the main thread's profile shows the work around them. The profiler samples
 * wall-clock time: when the machine is busy, time the main thread waits for a core is charged to the
 * function it was in (often `jobPromise`, right after handing a signature to the thread pool).
 */
import * as fs from "node:fs"
import { Session } from "node:inspector/promises"
import { LogLevel } from "effect"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import {
  type Authority,
  classifyOperation,
  issueOperation,
  issuePool,
  makeAuthority,
  renewOperation,
  Tally
} from "./authority.js"
import { generateKeys, signOperation, verifyOperation } from "./floors.js"
import { measure, type Operation } from "./harness.js"
import { repositoryLayer, startServer } from "./postgres.js"

const workload = process.argv[2] ?? "memory-renew"
const seconds = Number(process.argv[3] ?? 10)
const concurrency = Number(process.argv[4] ?? 16)
const output = process.argv[5] ?? `/tmp/${workload}-c${concurrency}.cpuprofile`
const logLevel = LogLevel.allLevels.find((level) => level._tag === (process.env.BENCH_LOG_LEVEL ?? "Warning"))

const keys = await generateKeys("ES384")
const server = workload.startsWith("pg-") ? await startServer(process.env.BENCH_PG_URL) : undefined
let authority: Authority | undefined
try {
  if (server !== undefined) {
    authority = await makeAuthority(
      "PostgreSQL",
      keys,
      repositoryLayer(server.url, "bench_profile", 16),
      logLevel ?? LogLevel.Warning
    )
  } else if (workload !== "sign" && workload !== "verify") {
    authority = await makeAuthority("in-memory", keys, MemorySessionRepository.layer, logLevel ?? LogLevel.Warning)
  }
  const tally = new Tally()
  const operation = async (): Promise<Operation> => {
    if (workload === "sign") return signOperation(keys)
    if (workload === "verify") return verifyOperation(keys)
    if (authority === undefined) throw new Error(`unknown workload ${workload}`)
    if (workload.endsWith("-renew")) return renewOperation(authority, await issuePool(authority, 2000), tally)
    if (workload.endsWith("-issue")) return issueOperation(authority, tally)
    if (workload === "classify") return classifyOperation(authority, tally)
    throw new Error(`unknown workload ${workload}`)
  }
  const op = await operation()
  await measure(`${workload} warm-up`, concurrency, 2, op, 0)
  const inspector = new Session()
  inspector.connect()
  await inspector.post("Profiler.enable")
  await inspector.post("Profiler.setSamplingInterval", { interval: 200 })
  await inspector.post("Profiler.start")
  const result = await measure(workload, concurrency, seconds, op, 0)
  const { profile } = await inspector.post("Profiler.stop")
  inspector.disconnect()
  fs.writeFileSync(output, JSON.stringify(profile))
  console.log(JSON.stringify({ ...result, outcomes: tally.describe(), profile: output }))
} finally {
  await authority?.runtime.dispose()
  await server?.stop()
}

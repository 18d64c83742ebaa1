/**
 * A small closed-loop load generator: `concurrency` workers each await one operation after another until
 * the time budget is spent; throughput is completed operations over elapsed wall time, and latency
 * percentiles come from every completed operation.
 *
 * Measurements that are compared with each other (a floor and the workflow built on it) run interleaved:
 * the time budget of each is cut into slices and the slices alternate, so a change in the machine's load
 * during the run hits every measurement of the group alike instead of skewing one ratio.
 */
import { performance } from "node:perf_hooks"

export interface Measurement {
  readonly name: string
  readonly concurrency: number
  readonly ops: number
  readonly seconds: number
  readonly perSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** CPU time of this process (main thread and the crypto thread pool, user + system) per operation. */
  readonly cpuUsPerOp: number
  /** CPU time of other processes the operation drives (the PostgreSQL server), per operation, if known. */
  readonly serverCpuUsPerOp: number
}

/** One operation to measure; `i` is a counter over every call, so callers can spread work over keys. */
export type Operation = (i: number) => Promise<unknown>

export interface Spec {
  readonly name: string
  readonly concurrency: number
  readonly operation: Operation
  /** Reads the CPU time so far, in microseconds, of each server process the operation drives, by pid. */
  readonly serverCpu?: (() => Promise<ReadonlyMap<number, number>>) | undefined
}

const percentile = (sorted: Float64Array, p: number): number => {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] ?? Number.NaN
}

interface Slice {
  readonly latencies: Array<number>
  readonly seconds: number
  readonly cpuMicros: number
  readonly serverCpuMicros: number
}

const counters = new WeakMap<Operation, { value: number }>()

const nextIndex = (operation: Operation): number => {
  let counter = counters.get(operation)
  if (counter === undefined) {
    counter = { value: 0 }
    counters.set(operation, counter)
  }
  return counter.value++
}

/**
 * CPU used between two readings by the processes present at the end. A process that started in between
 * counts from zero; one that exited in between (an autovacuum worker, a pooled connection closed when
 * idle) takes its time with it, so the figure can only err low.
 */
const cpuBetween = (start: ReadonlyMap<number, number>, end: ReadonlyMap<number, number>): number => {
  let sum = 0
  for (const [pid, micros] of end) sum += micros - (start.get(pid) ?? 0)
  return sum
}

const runSlice = async (spec: Spec, seconds: number, record: boolean): Promise<Slice> => {
  const latencies: Array<number> = []
  const serverStart = await spec.serverCpu?.()
  const cpuStart = process.cpuUsage()
  const started = performance.now()
  const end = started + seconds * 1000
  const worker = async () => {
    while (performance.now() < end) {
      const opStarted = performance.now()
      await spec.operation(nextIndex(spec.operation))
      if (record) latencies.push(performance.now() - opStarted)
    }
  }
  await Promise.all(Array.from({ length: spec.concurrency }, worker))
  const cpu = process.cpuUsage(cpuStart)
  const elapsed = (performance.now() - started) / 1000
  const serverEnd = await spec.serverCpu?.()
  const serverCpuMicros =
    serverStart === undefined || serverEnd === undefined ? Number.NaN : cpuBetween(serverStart, serverEnd)
  return { latencies, seconds: elapsed, cpuMicros: cpu.user + cpu.system, serverCpuMicros }
}

const summarize = (spec: Spec, slices: ReadonlyArray<Slice>): Measurement => {
  const latencies = slices.flatMap((slice) => slice.latencies)
  const seconds = slices.reduce((sum, slice) => sum + slice.seconds, 0)
  const cpuMicros = slices.reduce((sum, slice) => sum + slice.cpuMicros, 0)
  const serverCpuMicros = slices.reduce((sum, slice) => sum + slice.serverCpuMicros, 0)
  const sorted = Float64Array.from(latencies).sort()
  return {
    name: spec.name,
    concurrency: spec.concurrency,
    ops: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    cpuUsPerOp: latencies.length === 0 ? Number.NaN : cpuMicros / latencies.length,
    serverCpuUsPerOp: latencies.length === 0 ? Number.NaN : serverCpuMicros / latencies.length
  }
}

/**
 * Measures every spec for `seconds` in all, as `rounds` alternating slices, after a warm-up of each
 * (`warmupSeconds`, unmeasured). Results come back in the order of `specs`.
 */
export const interleaved = async (
  specs: ReadonlyArray<Spec>,
  options: { readonly seconds: number; readonly rounds: number; readonly warmupSeconds: number }
): Promise<ReadonlyArray<Measurement>> => {
  const rounds = Math.max(1, Math.floor(options.rounds))
  for (const spec of specs) await runSlice(spec, options.warmupSeconds, false)
  const slices = specs.map((): Array<Slice> => [])
  for (let round = 0; round < rounds; round++) {
    for (const [index, spec] of specs.entries()) {
      slices[index]?.push(await runSlice(spec, options.seconds / rounds, true))
    }
  }
  return specs.map((spec, index) => summarize(spec, slices[index] ?? []))
}

/**
 * Runs `operation(i)` with `concurrency` workers for `seconds` (after a short warm-up).
 */
export const measure = async (
  name: string,
  concurrency: number,
  seconds: number,
  operation: Operation,
  warmupSeconds = Math.min(1, seconds / 4)
): Promise<Measurement> => {
  const [result] = await interleaved([{ name, concurrency, operation }], { seconds, rounds: 1, warmupSeconds })
  if (result === undefined) throw new Error("no measurement")
  return result
}

/** Runs `operation` `count` times, `concurrency` at a time, as fast as possible (setup work, unmeasured). */
export const repeat = async (
  count: number,
  concurrency: number,
  operation: (i: number) => Promise<unknown>
): Promise<void> => {
  let next = 0
  const worker = async () => {
    while (next < count) await operation(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

/** Seconds since `started` (a `performance.now()` reading), for progress lines. */
export const elapsedSince = (started: number): string => `${((performance.now() - started) / 1000).toFixed(1)} s`

/**
 * The benchmark's parameters, read from the environment (see `run.ts` for the list).
 */
import { fileURLToPath } from "node:url"
import { LogLevel } from "effect"

export const sections = ["floors", "renewal", "verify", "statements", "scale", "heap"] as const

export type Section = (typeof sections)[number]

export interface Params {
  readonly seconds: number
  readonly rounds: number
  readonly warmupSeconds: number
  readonly concurrency: ReadonlyArray<number>
  readonly pool: number
  readonly pgConnections: number
  readonly pgUrl: string | undefined
  readonly scaleSessions: number
  readonly scaleBase: number
  readonly scaleSample: number
  readonly heapSessions: number
  readonly statementRenewals: number
  readonly only: ReadonlySet<Section>
  readonly logLevel: LogLevel.LogLevel
  readonly resultsPath: string | undefined
}

const number = (name: string, fallback: number, min: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const value = Number(raw.replaceAll("_", ""))
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number of at least ${min}`)
  return value
}

const list = (name: string, fallback: ReadonlyArray<number>): ReadonlyArray<number> => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === "") return fallback
  const values = raw.split(",").map((part) => Number(part.trim()))
  if (values.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${name} must list positive integers`)
  return values
}

const isSection = (name: string): name is Section => sections.some((section) => section === name)

const onlySections = (): ReadonlySet<Section> => {
  const raw = process.env.BENCH_ONLY
  if (raw === undefined || raw.trim() === "") return new Set(sections)
  const chosen = raw.split(",").map((part) => part.trim())
  const unknown = chosen.filter((name) => !isSection(name))
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown sections ${unknown.join(", ")}; know ${sections}`)
  return new Set(chosen.filter(isSection))
}

const logLevel = (): LogLevel.LogLevel => {
  const raw = process.env.BENCH_LOG_LEVEL ?? "Warning"
  const level = LogLevel.allLevels.find((candidate) => candidate._tag === raw)
  if (level === undefined) throw new Error(`BENCH_LOG_LEVEL must be one of ${LogLevel.allLevels.map((l) => l._tag)}`)
  return level
}

export const readParams = (): Params => {
  const results = process.env.BENCH_RESULTS
  return {
    seconds: number("BENCH_SECONDS", 10, 0.5),
    rounds: number("BENCH_ROUNDS", 4, 1),
    warmupSeconds: number("BENCH_WARMUP", 1, 0),
    concurrency: list("BENCH_CONCURRENCY", [1, 16]),
    pool: number("BENCH_POOL", 2_000, 32),
    pgConnections: number("BENCH_PG_CONNECTIONS", 16, 1),
    pgUrl: process.env.BENCH_PG_URL,
    scaleSessions: number("BENCH_SCALE_SESSIONS", 1_000_000, 1),
    scaleBase: number("BENCH_SCALE_BASE", 1_000, 1),
    scaleSample: number("BENCH_SCALE_SAMPLE", 20_000, 32),
    heapSessions: number("BENCH_HEAP_SESSIONS", 100_000, 1),
    statementRenewals: number("BENCH_STATEMENT_RENEWALS", 200, 1),
    only: onlySections(),
    logLevel: logLevel(),
    resultsPath: results === "-" ? undefined : (results ?? fileURLToPath(new URL("./RESULTS.md", import.meta.url)))
  }
}

/**
 * Summarizes a `.cpuprofile` written by `node --cpu-prof`: the main thread's time by package (self time),
 * the functions with the most self time, and the functions with the most inclusive time (each sample
 * counted once per function on its stack), optionally filtered by a substring of the file path.
 *
 *   npx tsx test/bench/profileSummary.ts <file.cpuprofile> [top=25] [path filter for the inclusive list]
 */
import * as fs from "node:fs"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}

interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const isProfile = (value: unknown): value is Profile =>
  typeof value === "object" && value !== null && "nodes" in value && "samples" in value && "timeDeltas" in value

const [file, topArg, filter] = process.argv.slice(2)
if (file === undefined) throw new Error("usage: profileSummary.ts <file.cpuprofile> [top] [filter]")
const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"))
if (!isProfile(parsed)) throw new Error("not a .cpuprofile")
const top = Number(topArg ?? 25)

const byId = new Map<number, ProfileNode>()
const parent = new Map<number, number>()
for (const node of parsed.nodes) {
  byId.set(node.id, node)
  for (const child of node.children ?? []) parent.set(child, node.id)
}

const shortUrl = (url: string): string =>
  url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "")
    .replace(/^.*\/(src|test)\//, "$1/")

const packageOf = (frame: CallFrame): string => {
  const { url, functionName } = frame
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)"
  if (url.startsWith("node:")) return "node:internal"
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (match?.[1] !== undefined) return match[1]
  if (url.includes("/src/")) return "webgates-sessions src"
  if (url.includes("/test/")) return "benchmark harness"
  return url
}

const keyOf = (frame: CallFrame): string =>
  `${frame.functionName || "(anonymous)"} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`

const selfTime = new Map<string, number>()
const packageTime = new Map<string, number>()
const inclusive = new Map<string, number>()
let total = 0
let idle = 0
parsed.samples.forEach((sample, index) => {
  const micros = parsed.timeDeltas[index] ?? 0
  const node = byId.get(sample)
  if (node === undefined) return
  total += micros
  if (node.callFrame.functionName === "(idle)") idle += micros
  const self = keyOf(node.callFrame)
  selfTime.set(self, (selfTime.get(self) ?? 0) + micros)
  const pkg = packageOf(node.callFrame)
  packageTime.set(pkg, (packageTime.get(pkg) ?? 0) + micros)
  const seen = new Set<string>()
  for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
    const frame = byId.get(id)?.callFrame
    if (frame === undefined) break
    if (filter !== undefined && !frame.url.includes(filter)) continue
    const key = keyOf(frame)
    if (seen.has(key)) continue
    seen.add(key)
    inclusive.set(key, (inclusive.get(key) ?? 0) + micros)
  }
})

const busy = total - idle
const percent = (micros: number): string => `${((micros / busy) * 100).toFixed(1).padStart(5)} %`
const list = (title: string, entries: Map<string, number>, limit: number): void => {
  console.log(`\n${title}`)
  for (const [key, micros] of [...entries.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    if (key.startsWith("(idle)")) continue
    console.log(`${percent(micros)}  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${key}`)
  }
}

console.log(
  `${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(idle / 1e6).toFixed(1)} s idle, busy ${(busy / 1e6).toFixed(1)} s (percentages of busy)`
)
list("self time by package", packageTime, 40)
list("self time by function", selfTime, top)
list(`inclusive time by function${filter === undefined ? "" : ` (files matching ${filter})`}`, inclusive, top)

/**
 * Runs `heapChild.ts` in a fresh Node process (with `--expose-gc`, so it can collect garbage before each
 * reading) and returns its figures.
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"

export interface HeapFigures {
  readonly sessions: number
  readonly bytesPerSession: number
  readonly bytesPerSessionAfterOneRotation: number
}

const child = fileURLToPath(new URL("./heapChild.ts", import.meta.url))
const root = fileURLToPath(new URL("../..", import.meta.url))

export const measureHeap = (sessions: number): Promise<HeapFigures> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--expose-gc", "--import", "tsx", child, String(sessions)],
      { cwd: root, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`heap child failed: ${error.message}\n${stderr}`))
          return
        }
        try {
          const parsed: unknown = JSON.parse(stdout.trim().split("\n").pop() ?? "")
          if (
            typeof parsed === "object" &&
            parsed !== null &&
            "bytesPerSession" in parsed &&
            typeof parsed.bytesPerSession === "number" &&
            "bytesPerSessionAfterOneRotation" in parsed &&
            typeof parsed.bytesPerSessionAfterOneRotation === "number"
          ) {
            resolve({
              sessions,
              bytesPerSession: parsed.bytesPerSession,
              bytesPerSessionAfterOneRotation: parsed.bytesPerSessionAfterOneRotation
            })
          } else {
            reject(new Error(`heap child printed no figures: ${stdout}`))
          }
        } catch (cause) {
          reject(new Error(`heap child printed no figures: ${stdout}`, { cause }))
        }
      }
    )
  })

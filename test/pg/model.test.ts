import { afterAll, describe } from "@effect/vitest"
import { sessionModelProperty } from "../model/SessionModel.js"
import { buildTimings, closeSharedPg, isolatedRepository } from "../support/pgLayer.js"
import { reportFigures } from "../support/pgReport.js"

afterAll(async () => {
  const sorted = [...buildTimings].sort((a, b) => a - b)
  reportFigures("isolated repository builds", {
    builds: sorted.length,
    medianMs: Number((sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)),
    maxMs: Number((sorted.at(-1) ?? 0).toFixed(1))
  })
  await closeSharedPg()
})

describe("session model", () => {
  sessionModelProperty("PgSessionRepository", () => isolatedRepository())
})

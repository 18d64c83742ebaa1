import { describe } from "@effect/vitest"
import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import { sessionModelProperty } from "./SessionModel.js"

describe("session model", () => {
  sessionModelProperty("MemorySessionRepository", () => MemorySessionRepository.layer)
})

import * as MemorySessionRepository from "../../src/MemorySessionRepository.js"
import { sessionRepositoryContract } from "../contract/SessionRepositoryContract.js"

sessionRepositoryContract("MemorySessionRepository", () => MemorySessionRepository.layer)

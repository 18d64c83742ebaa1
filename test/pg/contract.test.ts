import { afterAll } from "@effect/vitest"
import { sessionRepositoryContract } from "../contract/SessionRepositoryContract.js"
import { closeSharedPg, isolatedRepository } from "../support/pgLayer.js"

afterAll(closeSharedPg)

sessionRepositoryContract("PgSessionRepository", () => isolatedRepository())

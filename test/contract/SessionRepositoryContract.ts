/**
 * The repository contract of DESIGN.md as one suite, parameterised by the repository layer. Every test
 * builds a fresh repository from `makeLayer()`; every moment is passed explicitly (the repository never
 * reads the clock), so nothing sleeps.
 */
import { describe } from "@effect/vitest"
import type { Layer } from "effect"
import type * as SessionRepository from "../../src/SessionRepository.js"
import { contractTest } from "./ContractFixtures.js"
import { leaseContract } from "./LeaseContract.js"
import { revocationContract } from "./RevocationContract.js"
import { storageContract } from "./StorageContract.js"

/**
 * Registers the contract suite for a repository: a `describe(name)` block whose every test runs against
 * a fresh repository from `makeLayer()`.
 */
export const sessionRepositoryContract = (
  name: string,
  makeLayer: () => Layer.Layer<SessionRepository.SessionRepository, unknown>
): void => {
  const test = contractTest(makeLayer)
  describe(name, () => {
    storageContract(test)
    leaseContract(test)
    revocationContract(test)
  })
}

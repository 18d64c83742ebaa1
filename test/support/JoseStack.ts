/**
 * The workflow stack with the real jose access tokens: a generated signing key, the JWT issuer and the
 * local verifier over the same key ring.
 */
import { Layer } from "effect"
import * as AuthTokens from "../../src/AuthTokens.js"
import * as SessionConfig from "../../src/SessionConfig.js"
import type { SessionRepository } from "../../src/SessionRepository.js"
import { issuer, type StackOptions, type StackServices, stack } from "./Workflows.js"

/** `stack` with jose issuance, plus the verifier that checks what it issued. */
export const joseStack = <Extra = never>(
  repository: Layer.Layer<SessionRepository | Extra, unknown>,
  options: Omit<StackOptions, "authTokens"> & { readonly alg?: AuthTokens.SigningAlgorithm } = {}
): Layer.Layer<StackServices | SessionRepository | Extra | AuthTokens.AuthTokenVerifier, unknown> => {
  // One key ring for both: the layer is shared by reference within a build.
  const keys = AuthTokens.generatedSigningKeysLayer({ alg: options.alg ?? "ES384", kid: "test-key" })
  const verifier = AuthTokens.localVerifierLayer.pipe(
    Layer.provide(keys),
    Layer.provide(SessionConfig.layer({ issuer, ...options.config }))
  )
  return Layer.merge(
    stack(repository, { ...options, authTokens: AuthTokens.jwtIssuerLayer.pipe(Layer.provide(keys)) }),
    verifier
  )
}

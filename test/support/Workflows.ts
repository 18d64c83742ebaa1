/**
 * The workflow stack for tests: `Sessions.layer` over a chosen repository, lease coordinator and
 * access-token issuer, with the repository, configuration and token services also exposed to the test.
 */
import { Layer } from "effect"
import * as Lease from "../../src/Lease.js"
import * as SessionConfig from "../../src/SessionConfig.js"
import type { SessionRepository } from "../../src/SessionRepository.js"
import * as Sessions from "../../src/Sessions.js"
import * as Tokens from "../../src/Tokens.js"
import * as TestAuthTokens from "./TestAuthTokens.js"

export const issuer = "https://auth.test.example"

export interface StackOptions {
  readonly config?: SessionConfig.SessionConfigInput
  readonly leases?: Layer.Layer<Lease.RenewalLeases, never, SessionRepository>
  readonly authTokens?: Layer.Layer<Tokens.AuthTokenIssuer, unknown, SessionConfig.SessionConfig>
}

/** The services a test can reach besides the three workflows. */
export type StackServices =
  | Sessions.Services
  | SessionConfig.SessionConfig
  | Lease.RenewalLeases
  | Tokens.TokenPairIssuer
  | Tokens.RefreshTokenHasher
  | Tokens.AuthTokenIssuer

/**
 * The full stack over `repository` (whose other outputs, such as a call log, stay reachable); by default
 * repository leases and the test access-token issuer.
 */
export const stack = <Extra = never>(
  repository: Layer.Layer<SessionRepository | Extra, unknown>,
  options: StackOptions = {}
): Layer.Layer<StackServices | SessionRepository | Extra, unknown> => {
  const tokens = Tokens.tokenPairIssuerLayer.pipe(
    Layer.provideMerge(Tokens.defaultTokenMaterialLayer),
    Layer.provideMerge(options.authTokens ?? TestAuthTokens.layer)
  )
  return Sessions.layer.pipe(
    Layer.provideMerge(Layer.merge(tokens, options.leases ?? Lease.layerFromRepository)),
    Layer.provideMerge(repository),
    Layer.provideMerge(SessionConfig.layer({ issuer, ...options.config }))
  )
}

/**
 * webgates-sessions: session-backed authentication for Effect.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as Session from "./Session.js"

/**
 * @since 0.1.0
 */
export * as Tokens from "./Tokens.js"

/**
 * @since 0.1.0
 */
export * as SessionConfig from "./SessionConfig.js"

/**
 * @since 0.1.0
 */
export * as SessionContext from "./SessionContext.js"

/**
 * @since 0.1.0
 */
export * as Lease from "./Lease.js"

/**
 * @since 0.1.0
 */
export * as Renewal from "./Renewal.js"

/**
 * @since 0.1.0
 */
export * as Logout from "./Logout.js"

/**
 * @since 0.1.0
 */
export * as SessionRepository from "./SessionRepository.js"

/**
 * @since 0.1.0
 */
export * as SessionErrors from "./SessionErrors.js"

/**
 * @since 0.1.0
 */
export * as AuthTokens from "./AuthTokens.js"

/**
 * @since 0.1.0
 */
export * as PgSessionRepository from "./PgSessionRepository.js"

/**
 * @since 0.1.0
 */
export * as MemorySessionRepository from "./MemorySessionRepository.js"

/**
 * @since 0.1.0
 */
export * as SessionIssuer from "./SessionIssuer.js"

/**
 * @since 0.1.0
 */
export * as SessionRenewer from "./SessionRenewer.js"

/**
 * @since 0.1.0
 */
export * as SessionRevoker from "./SessionRevoker.js"

/**
 * @since 0.1.0
 */
export * as Sessions from "./Sessions.js"

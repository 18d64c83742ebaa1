/**
 * Sign-out: which scope to revoke, the request, and what was revoked.
 *
 * @since 0.1.0
 */
import { Data } from "effect"
import type { SessionFamilyId, SessionId } from "./Session.js"

/**
 * `CurrentSession` signs out one device; `SessionFamily` revokes every session descending from the login.
 *
 * @since 0.1.0
 * @category models
 */
export type LogoutScope = "CurrentSession" | "SessionFamily"

/**
 * A sign-out request.
 *
 * @since 0.1.0
 * @category models
 */
export class LogoutRequest extends Data.Class<{
  readonly sessionId: SessionId
  readonly familyId: SessionFamilyId
  readonly scope: LogoutScope
}> {}

/**
 * What a sign-out revoked.
 *
 * @since 0.1.0
 * @category models
 */
export type LogoutOutcome = Data.TaggedEnum<{
  CurrentSessionRevoked: { readonly sessionId: SessionId }
  SessionFamilyRevoked: { readonly familyId: SessionFamilyId }
}>

/**
 * Constructors and matchers for {@link LogoutOutcome}.
 *
 * @since 0.1.0
 * @category constructors
 */
export const LogoutOutcome = Data.taggedEnum<LogoutOutcome>()

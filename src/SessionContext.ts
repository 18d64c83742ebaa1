/**
 * Who started a session and from where: the actor, the client, a correlation id and free attributes.
 * The context is stored with the session and returned by `listSessions`, so a user can see and revoke
 * their devices.
 *
 * @since 0.1.0
 */
import { Option, Schema } from "effect"

/**
 * The subject acting for itself.
 *
 * @since 0.1.0
 * @category models
 */
export class SubjectActor extends Schema.TaggedClass<SubjectActor>()("Subject", {}) {}

/**
 * Someone acting on the subject's behalf (support staff, an impersonation tool), with the reason given.
 *
 * @since 0.1.0
 * @category models
 */
export class DelegateActor extends Schema.TaggedClass<DelegateActor>()("Delegate", {
  delegateId: Schema.String,
  reason: Schema.String
}) {}

/**
 * A service acting without a human (a batch job, a migration).
 *
 * @since 0.1.0
 * @category models
 */
export class SystemActor extends Schema.TaggedClass<SystemActor>()("System", {
  service: Schema.String
}) {}

/**
 * Who started the session.
 *
 * @since 0.1.0
 * @category models
 */
export const Actor = Schema.Union(SubjectActor, DelegateActor, SystemActor)

/**
 * @since 0.1.0
 * @category models
 */
export type Actor = typeof Actor.Type

/**
 * The client a session was started from. The IP is kept as text so IPv4, IPv6 and proxy notations all fit.
 *
 * @since 0.1.0
 * @category models
 */
export class ClientContext extends Schema.Class<ClientContext>("ClientContext")({
  userAgent: Schema.OptionFromNullOr(Schema.String),
  ip: Schema.OptionFromNullOr(Schema.String),
  deviceId: Schema.OptionFromNullOr(Schema.String)
}) {}

/**
 * The context recorded with a session.
 *
 * @since 0.1.0
 * @category models
 */
export class SessionContext extends Schema.Class<SessionContext>("SessionContext")({
  actor: Actor,
  correlationId: Schema.OptionFromNullOr(Schema.String),
  client: ClientContext,
  attributes: Schema.Record({ key: Schema.String, value: Schema.String })
}) {}

/**
 * A client with nothing known.
 *
 * @since 0.1.0
 * @category constructors
 */
export const emptyClient: ClientContext = new ClientContext({
  userAgent: Option.none(),
  ip: Option.none(),
  deviceId: Option.none()
})

/**
 * The empty context: the subject acting for itself, nothing else known.
 *
 * @example
 * ```ts
 * import { pipe } from "effect"
 * import { SessionContext } from "webgates-sessions"
 *
 * const context = pipe(
 *   SessionContext.empty,
 *   SessionContext.withClient({ userAgent: "Firefox/140", ip: "203.0.113.7" }),
 *   SessionContext.withAttribute("tenant", "acme")
 * )
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const empty: SessionContext = new SessionContext({
  actor: new SubjectActor(),
  correlationId: Option.none(),
  client: emptyClient,
  attributes: {}
})

/**
 * Sets the actor.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withActor =
  (actor: Actor) =>
  (self: SessionContext): SessionContext =>
    new SessionContext({ ...self, actor })

/**
 * Sets the correlation id.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withCorrelationId =
  (correlationId: string) =>
  (self: SessionContext): SessionContext =>
    new SessionContext({ ...self, correlationId: Option.some(correlationId) })

/**
 * Sets the known client fields; fields left out keep their value.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withClient =
  (client: { readonly userAgent?: string; readonly ip?: string; readonly deviceId?: string }) =>
  (self: SessionContext): SessionContext =>
    new SessionContext({
      ...self,
      client: new ClientContext({
        userAgent: client.userAgent === undefined ? self.client.userAgent : Option.some(client.userAgent),
        ip: client.ip === undefined ? self.client.ip : Option.some(client.ip),
        deviceId: client.deviceId === undefined ? self.client.deviceId : Option.some(client.deviceId)
      })
    })

/**
 * Adds or replaces one attribute.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withAttribute =
  (key: string, value: string) =>
  (self: SessionContext): SessionContext =>
    new SessionContext({ ...self, attributes: { ...self.attributes, [key]: value } })

/**
 * Whether nothing beyond the default actor is known.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isEmpty = (self: SessionContext): boolean =>
  self.actor._tag === "Subject" &&
  Option.isNone(self.correlationId) &&
  Option.isNone(self.client.userAgent) &&
  Option.isNone(self.client.ip) &&
  Option.isNone(self.client.deviceId) &&
  Object.keys(self.attributes).length === 0

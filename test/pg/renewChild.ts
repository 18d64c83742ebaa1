/**
 * A child process of the multi-process test: an authority with its own connection pool over the schema
 * the parent names, renewing whatever refresh tokens the parent sends, all at once, and reporting each
 * outcome back over IPC. Run with `node --import tsx test/pg/renewChild.ts` from `child_process.fork`.
 *
 * Messages in: `{ type: "renew", session, generation, token }`, `{ type: "stop" }`.
 * Messages out: `{ type: "ready" }`, `{ type: "outcome", session, generation, outcome, token? }`,
 * `{ type: "failed", message }`.
 */
import { PgClient } from "@effect/sql-pg"
import { Effect, Either, Layer, ManagedRuntime, Option, Redacted } from "effect"
import * as PgSessionRepository from "../../src/PgSessionRepository.js"
import * as Tokens from "../../src/Tokens.js"
import { authority, plaintext, renew, renewedToken } from "../support/pgAuthority.js"

export interface RenewMessage {
  readonly type: "renew"
  readonly session: number
  readonly generation: number
  readonly token: string
}

export type ParentMessage = RenewMessage | { readonly type: "stop" }

export type ChildMessage =
  | { readonly type: "ready" }
  | {
      readonly type: "outcome"
      readonly session: number
      readonly generation: number
      readonly outcome: string
      readonly token?: string
    }
  | { readonly type: "failed"; readonly message: string }

const url = process.env.WGS_CHILD_PG_URL ?? ""
const schema = process.env.WGS_CHILD_SCHEMA ?? ""

const send = (message: ChildMessage) => {
  process.send?.(message)
}

// Each child builds the repository layer, so four processes bootstrap the (already migrated) schema at
// once, as authorities starting together would.
const runtime = ManagedRuntime.make(
  authority(
    PgSessionRepository.layer({ schema }).pipe(
      Layer.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 8, applicationName: "wgs-child" }))
    )
  )
)

const renewOne = (message: RenewMessage) =>
  Effect.gen(function* () {
    const token = yield* Either.match(Tokens.refreshTokenFromString(message.token), {
      onLeft: Effect.fail,
      onRight: Effect.succeed
    })
    const outcome = yield* renew(token)
    const next = renewedToken(outcome)
    send({
      type: "outcome",
      session: message.session,
      generation: message.generation,
      outcome: outcome._tag,
      ...(Option.isSome(next) ? { token: plaintext(next.value) } : {})
    })
  })

const fail = (error: unknown) => send({ type: "failed", message: String(error) })

process.on("message", (message: ParentMessage) => {
  if (message.type === "stop") {
    runtime.dispose().then(
      () => process.disconnect(),
      () => process.exit(1)
    )
    return
  }
  runtime.runPromise(renewOne(message)).catch(fail)
})

runtime.runtime().then(() => send({ type: "ready" }), fail)

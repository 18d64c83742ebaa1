/**
 * The key-ring service behind `AuthTokens.SigningKeys`.
 *
 * @since 0.1.0
 */
import { Effect, Either, Ref } from "effect"
import type { SigningKeys } from "../../AuthTokens.js"
import type { TokenError } from "../../SessionErrors.js"
import { type SigningKey, SigningKeyRing, type VerificationKey } from "./model.js"
import * as ring from "./ring.js"

type State = ring.RingState<SigningKey, VerificationKey>

/**
 * Builds the service over a ring held in a `Ref`; every change replaces the ring at once and is logged with
 * the `kid` and `alg` (never key material).
 *
 * @since 0.1.0
 * @category internal
 */
export const make = (
  active: SigningKey,
  verificationKeys: Iterable<VerificationKey>
): Effect.Effect<SigningKeys["Type"], TokenError> =>
  Effect.gen(function* () {
    const ref = yield* Ref.make(new SigningKeyRing(yield* ring.initial(active, verificationKeys)))
    const change = (
      operation: string,
      step: (current: SigningKeyRing) => Either.Either<State, TokenError>,
      annotations: Record<string, string>
    ) =>
      Ref.modify(ref, (current): [Either.Either<SigningKeyRing, TokenError>, SigningKeyRing] =>
        Either.match(step(current), {
          onLeft: (error) => [Either.left(error), current],
          onRight: (next) => {
            const updated = new SigningKeyRing(next)
            return [Either.right(updated), updated]
          }
        })
      ).pipe(
        Effect.flatten,
        Effect.tap(() => Effect.logInfo(`Signing keys: ${operation}`)),
        Effect.annotateLogs(annotations),
        Effect.withSpan(`webgates-sessions.SigningKeys.${operation}`, { attributes: annotations })
      )
    return {
      ring: Ref.get(ref),
      jwks: Effect.map(Ref.get(ref), (current) => current.jwks),
      rotate: (next) => change("rotate", (current) => ring.rotate(current, next), { kid: next.kid, alg: next.alg }),
      publish: (key) => change("publish", (current) => ring.publish(current, key), { kid: key.kid, alg: key.alg }),
      retire: (kid) => change("retire", (current) => ring.retire(current, kid), { kid })
    }
  })

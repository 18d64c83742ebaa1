/**
 * Key-ring transitions: the pure rules for rotating, publishing and retiring keys.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import { TokenError } from "../../SessionErrors.js"
import type { PublicJwk } from "./keys.js"

/**
 * What the rules need of a verification key.
 *
 * @since 0.1.0
 * @category internal
 */
export interface RingKey {
  readonly kid: string
  readonly jwk: PublicJwk
}

/**
 * What the rules need of a signing key.
 *
 * @since 0.1.0
 * @category internal
 */
export interface RingSigner<V extends RingKey> {
  readonly kid: string
  readonly verificationKey: V
}

/**
 * A ring's contents.
 *
 * @since 0.1.0
 * @category internal
 */
export interface RingState<S extends RingSigner<V>, V extends RingKey> {
  readonly active: S
  readonly verificationKeys: ReadonlyArray<V>
}

const failed = (message: string) => Either.left(new TokenError({ reason: "Failed", message }))

const sameKey = (a: PublicJwk, b: PublicJwk): boolean =>
  a.kty === b.kty && a.crv === b.crv && a.x === b.x && a.y === b.y && a.alg === b.alg

// A kid names one key: the same key under its kid twice is merged, two different keys under one kid refused.
const addKey = <V extends RingKey>(keys: ReadonlyArray<V>, key: V): Either.Either<ReadonlyArray<V>, TokenError> => {
  const existing = keys.find((k) => k.kid === key.kid)
  if (existing === undefined) return Either.right([...keys, key])
  return sameKey(existing.jwk, key.jwk) ? Either.right(keys) : failed(`Two different keys share the kid ${key.kid}`)
}

/**
 * A ring with `active` as signer and its verification key first.
 *
 * @since 0.1.0
 * @category internal
 */
export const initial = <S extends RingSigner<V>, V extends RingKey>(
  active: S,
  verificationKeys: Iterable<V>
): Either.Either<RingState<S, V>, TokenError> => {
  let keys: ReadonlyArray<V> = [active.verificationKey]
  for (const key of verificationKeys) {
    const added = addKey(keys, key)
    if (Either.isLeft(added)) return Either.left(added.left)
    keys = added.right
  }
  return Either.right({ active, verificationKeys: keys })
}

/**
 * `next` becomes the signer; the previous signer's key stays published until retired.
 *
 * @since 0.1.0
 * @category internal
 */
export const rotate = <S extends RingSigner<V>, V extends RingKey>(
  ring: RingState<S, V>,
  next: S
): Either.Either<RingState<S, V>, TokenError> =>
  Either.map(addKey(ring.verificationKeys, next.verificationKey), (keys) => ({
    active: next,
    verificationKeys: [next.verificationKey, ...keys.filter((k) => k.kid !== next.kid)]
  }))

/**
 * Publishes a verification key without signing with it, such as the next key ahead of a rotation.
 *
 * @since 0.1.0
 * @category internal
 */
export const publish = <S extends RingSigner<V>, V extends RingKey>(
  ring: RingState<S, V>,
  key: V
): Either.Either<RingState<S, V>, TokenError> =>
  Either.map(addKey(ring.verificationKeys, key), (keys) => ({ active: ring.active, verificationKeys: keys }))

/**
 * Stops publishing a key: tokens it signed become `Invalid`. The active signer cannot be retired.
 *
 * @since 0.1.0
 * @category internal
 */
export const retire = <S extends RingSigner<V>, V extends RingKey>(
  ring: RingState<S, V>,
  kid: string
): Either.Either<RingState<S, V>, TokenError> => {
  if (kid === ring.active.kid) return failed("The active signing key cannot be retired; rotate to another key first")
  if (!ring.verificationKeys.some((k) => k.kid === kid)) return failed(`No published key has the kid ${kid}`)
  return Either.right({ active: ring.active, verificationKeys: ring.verificationKeys.filter((k) => k.kid !== kid) })
}

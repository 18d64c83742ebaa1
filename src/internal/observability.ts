/**
 * Shared span and metric helpers for the workflows. Both exist for cost: building a tagged metric key
 * formats and hashes it on every call, and a span's default stack capture costs more than an in-memory
 * renewal's own work, so keys are built once and stack traces are off.
 *
 * @since 0.1.0
 */
import { Effect, Metric } from "effect"

/**
 * A lookup of `counter` tagged with `outcome=<tag>`, each tagged counter built once and reused.
 *
 * @since 0.1.0
 * @category internal
 */
export const outcomeCounters = (
  counter: Metric.Metric.Counter<number>
): ((outcome: string) => Metric.Metric.Counter<number>) => {
  const cache = new Map<string, Metric.Metric.Counter<number>>()
  return (outcome) => {
    const cached = cache.get(outcome)
    if (cached !== undefined) return cached
    const tagged = Metric.tagged(counter, "outcome", outcome)
    cache.set(outcome, tagged)
    return tagged
  }
}

/**
 * Runs `self` in a workflow span named `name`, without a captured stack trace.
 *
 * @since 0.1.0
 * @category internal
 */
export const workflowSpan =
  (name: string, attributes: Record<string, unknown> = {}) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.withSpan(self, name, { attributes, captureStackTrace: false })

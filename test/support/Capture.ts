/**
 * Captures every log line (all levels) and every span, with their annotations, attributes and events,
 * so tests can check what the library reports and that no secret is in it.
 */
import { Cause, Context, Effect, HashMap, Layer, Logger, LogLevel, Tracer } from "effect"

export interface CapturedLog {
  readonly level: string
  readonly message: unknown
  readonly annotations: Readonly<Record<string, unknown>>
  readonly cause: string
}

export class Captured extends Context.Tag("test/Captured")<
  Captured,
  { readonly logs: Array<CapturedLog>; readonly spans: Array<Tracer.Span> }
>() {}

/** Adds a capturing logger (minimum level All) and a tracer that records each span it starts. */
export const layer: Layer.Layer<Captured> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const logs: Array<CapturedLog> = []
    const spans: Array<Tracer.Span> = []
    const inner = yield* Effect.tracer
    const tracer = Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        const span = inner.span(name, parent, context, links, startTime, kind, options)
        spans.push(span)
        return span
      },
      context: (f, fiber) => inner.context(f, fiber)
    })
    const logger = Logger.make(({ logLevel, message, annotations, cause }) => {
      logs.push({
        level: logLevel.label,
        // Effect hands the logger the list of logged values; a single value is unwrapped.
        message: Array.isArray(message) && message.length === 1 ? message[0] : message,
        annotations: Object.fromEntries(HashMap.toEntries(annotations)),
        cause: Cause.isEmpty(cause) ? "" : Cause.pretty(cause)
      })
    })
    return Layer.mergeAll(
      Layer.succeed(Captured, { logs, spans }),
      Logger.add(logger),
      Logger.minimumLogLevel(LogLevel.All),
      Layer.setTracer(tracer)
    )
  })
)

const render = (value: unknown): string => {
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "bigint") return v.toString()
      if (v instanceof Map) return Object.fromEntries(v)
      return v
    })
  } catch {
    return String(value)
  }
}

const eventsOf = (span: Tracer.Span): unknown => ("events" in span ? span.events : [])

/** What was captured from the given log and span positions on, as one text to search. */
export const dumpFrom = (from: {
  readonly logs: number
  readonly spans: number
}): Effect.Effect<string, never, Captured> =>
  Effect.map(Captured, ({ logs, spans }) =>
    [
      ...logs
        .slice(from.logs)
        .map((log) => `${log.level} ${render(log.message)} ${render(log.annotations)} ${log.cause}`),
      ...spans.slice(from.spans).map((span) => `${span.name} ${render(span.attributes)} ${render(eventsOf(span))}`)
    ].join("\n")
  )

/** Everything captured, as one text to search. */
export const dump: Effect.Effect<string, never, Captured> = dumpFrom({ logs: 0, spans: 0 })

/** The captured spans with the given name. */
export const spansNamed = (name: string): Effect.Effect<ReadonlyArray<Tracer.Span>, never, Captured> =>
  Effect.map(Captured, ({ spans }) => spans.filter((span) => span.name === name))

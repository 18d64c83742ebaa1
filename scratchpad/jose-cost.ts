/**
 * Sign and verify cost per access token, for each algorithm: bare jose against the library's issuer,
 * `verify` and `classify`, in microseconds per token: p10 (p50). Sequential, one operation at a time.
 *
 *   npx tsx scratchpad/jose-cost.ts [operations per round]
 */
import { performance } from "node:perf_hooks"
import { DateTime, Duration, Effect, Layer, ManagedRuntime, Option, Redacted } from "effect"
import * as jose from "jose"
import * as AuthTokens from "../src/AuthTokens.js"
import * as Session from "../src/Session.js"
import * as SessionConfig from "../src/SessionConfig.js"
import * as Tokens from "../src/Tokens.js"

const n = Number(process.argv[2] ?? 2_000)
const issuer = "https://auth.bench.example"

// The machine is shared, so variants run in alternating blocks of 10 and each is summarised by the 10th and
// 50th percentile of its block times: the low percentile is the cost with the least interference.
const interleaved = async (
  variants: ReadonlyArray<() => Promise<unknown>>
): Promise<ReadonlyArray<{ readonly p10: number; readonly p50: number }>> => {
  const block = 10
  const rounds = Math.ceil(n / block)
  const times: Array<Array<number>> = variants.map(() => [])
  for (const operation of variants) for (let i = 0; i < 50; i++) await operation()
  for (let round = 0; round < rounds; round++) {
    for (const [index, operation] of variants.entries()) {
      const started = performance.now()
      for (let i = 0; i < block; i++) await operation()
      times[index]?.push(((performance.now() - started) * 1000) / block)
    }
  }
  return times.map((samples) => {
    const sorted = samples.sort((a, b) => a - b)
    return { p10: sorted[Math.floor(rounds * 0.1)] ?? 0, p50: sorted[Math.floor(rounds * 0.5)] ?? 0 }
  })
}

const show = (cost: { readonly p10: number; readonly p50: number }) => `${cost.p10.toFixed(0)} (${cost.p50.toFixed(0)})`

for (const alg of AuthTokens.supportedAlgorithms) {
  const layer = Layer.mergeAll(AuthTokens.jwtIssuerLayer, AuthTokens.localVerifierLayer).pipe(
    Layer.provideMerge(AuthTokens.generatedSigningKeysLayer({ alg, kid: "bench" })),
    Layer.provideMerge(SessionConfig.layer({ issuer }))
  )
  const runtime = ManagedRuntime.make(layer)
  const { issuerService, verifierService, active, session } = await runtime.runPromise(
    Effect.gen(function* () {
      const now = yield* DateTime.now
      return {
        issuerService: yield* Tokens.AuthTokenIssuer,
        verifierService: yield* AuthTokens.AuthTokenVerifier,
        active: (yield* Effect.flatMap(AuthTokens.SigningKeys, (keys) => keys.ring)).active,
        session: new Session.Session({
          sessionId: yield* Session.makeSessionId,
          familyId: yield* Session.makeSessionFamilyId,
          subjectId: Session.SubjectId.make("user-bench"),
          createdAt: now,
          expiresAt: DateTime.addDuration(now, Duration.days(30)),
          lastSeenAt: Option.none(),
          revoked: false
        })
      }
    })
  )
  const privateKey = Redacted.value(active.privateKey)
  const publicKey = active.verificationKey.key
  const token = await runtime.runPromise(issuerService.issue(session))
  const jwt = Redacted.value(token.value)
  const iat = Math.floor(Date.now() / 1000)
  const bareOptions = { issuer, algorithms: [alg], requiredClaims: ["sub", "sid", "jti", "iat", "exp"] }

  const [bareSign, issue, bareVerify, verify, classify] = await interleaved([
    () =>
      new jose.SignJWT({
        iss: issuer,
        sub: session.subjectId,
        sid: session.sessionId,
        jti: crypto.randomUUID(),
        iat,
        exp: iat + 900
      })
        .setProtectedHeader({ alg, kid: "bench" })
        .sign(privateKey),
    () => runtime.runPromise(issuerService.issue(session)),
    () => jose.jwtVerify(jwt, publicKey, { ...bareOptions, currentDate: new Date() }),
    () => runtime.runPromise(verifierService.verify(token)),
    () => runtime.runPromise(verifierService.classify(token))
  ])
  if (!bareSign || !issue || !bareVerify || !verify || !classify) throw new Error("missing measurement")
  console.log(
    [
      alg.padEnd(6),
      `sign: jose ${show(bareSign)}, issue ${show(issue)}`,
      `verify: jose ${show(bareVerify)}, verify ${show(verify)}, classify ${show(classify)}`,
      `classify/jose throughput ${(bareVerify.p10 / classify.p10).toFixed(2)}`
    ].join(" | ")
  )
  await runtime.dispose()
}

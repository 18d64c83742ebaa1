/**
 * The built package, imported by its own name. `webgates-sessions` resolves through the `exports` map of
 * package.json to dist/, so `npm run build` must run first (`npm test` does).
 */
import { execFileSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import ts from "typescript"
import * as Pkg from "webgates-sessions"

const root = fileURLToPath(new URL("..", import.meta.url))
const fromRoot = (path: string) => fileURLToPath(new URL(path, new URL("..", import.meta.url)))

/** Every public namespace, with a few members each must have. */
const expectedNamespaces: ReadonlyArray<{ readonly name: string; readonly members: ReadonlyArray<string> }> = [
  { name: "Session", members: ["Session", "SessionId", "SubjectId", "subjectId", "isActiveAt", "isExpiredAt"] },
  {
    name: "Tokens",
    members: ["RefreshToken", "refreshTokenFromString", "RefreshTokenGenerator", "RefreshTokenHasher", "sha256Hasher"]
  },
  { name: "SessionConfig", members: ["SessionConfig", "make", "defaults", "layer", "layerFromEnv"] },
  { name: "SessionContext", members: ["SessionContext", "empty", "withClient", "Actor"] },
  {
    name: "Lease",
    members: ["RenewalLease", "RenewalLeases", "LeaseAcquisition", "isActiveAt", "layerFromRepository"]
  },
  { name: "Renewal", members: ["decide", "AuthTokenState", "RenewalDecision", "RenewalOutcome"] },
  { name: "Logout", members: ["LogoutRequest", "LogoutOutcome"] },
  { name: "SessionRepository", members: ["SessionRepository", "RotateRefreshTokenOutcome", "RevokeSessionScope"] },
  {
    name: "SessionErrors",
    members: ["ConfigError", "TokenError", "RenewalError", "RepositoryError", "RevocationError"]
  },
  {
    name: "AuthTokens",
    members: ["SigningKeys", "generatedSigningKeysLayer", "jwtIssuerLayer", "AuthTokenVerifier", "localVerifierLayer"]
  },
  { name: "MemorySessionRepository", members: ["make", "layer"] },
  { name: "PgSessionRepository", members: ["make", "layer"] },
  { name: "SessionIssuer", members: ["SessionIssuer", "make", "layer"] },
  { name: "SessionRenewer", members: ["SessionRenewer", "make", "layer"] },
  { name: "SessionRevoker", members: ["SessionRevoker", "make", "layer"] },
  { name: "Sessions", members: ["layer", "layerWithDefaults"] }
]

/** The namespaces src/index.ts re-exports (`export * as Name from "./Name.js"`), read from its syntax tree. */
const indexNamespaces = (): ReadonlyArray<string> => {
  const text = readFileSync(fromRoot("src/index.ts"), "utf8")
  const source = ts.createSourceFile("index.ts", text, ts.ScriptTarget.Latest, true)
  return source.statements.flatMap((statement) =>
    ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamespaceExport(statement.exportClause)
      ? [statement.exportClause.name.text]
      : []
  )
}

const built: Record<string, unknown> = { ...Pkg }

describe("the built package", () => {
  it("package.json declares an ESM package with typed exports and Node 20", () => {
    const manifest = JSON.parse(readFileSync(fromRoot("package.json"), "utf8"))
    expect(manifest.name).toBe("webgates-sessions")
    expect(manifest.type).toBe("module")
    expect(manifest.engines.node).toBe(">=20")
    expect(manifest.exports["."]).toEqual({ types: "./dist/index.d.ts", import: "./dist/index.js" })
    expect(existsSync(fromRoot("package-lock.json"))).toBe(true)
  })

  it.each(expectedNamespaces)("exports the $name namespace with its key members", ({ name, members }) => {
    const namespace = built[name]
    expect(typeof namespace, `namespace ${name}`).toBe("object")
    for (const member of members) {
      expect(namespace !== null && typeof namespace === "object" && member in namespace, `${name}.${member}`).toBe(true)
    }
  })

  it("exports every namespace src/index.ts declares, each built with a .js and a .d.ts", () => {
    const declared = indexNamespaces()
    expect(declared).toContain("Session")
    // A difference here means dist/ is stale: run `npm run build`.
    expect(Object.keys(built).sort()).toEqual([...declared].sort())
    for (const name of declared) {
      expect(existsSync(fromRoot(`dist/${name}.js`)), `dist/${name}.js`).toBe(true)
      expect(existsSync(fromRoot(`dist/${name}.d.ts`)), `dist/${name}.d.ts`).toBe(true)
    }
    expect(existsSync(fromRoot("dist/index.d.ts"))).toBe(true)
  })

  it("plain Node resolves the package's own name to dist/ and loads it", () => {
    const script = [
      'const Pkg = await import("webgates-sessions")',
      'const url = import.meta.resolve("webgates-sessions")',
      "process.stdout.write(JSON.stringify({ url, names: Object.keys(Pkg) }))"
    ].join("\n")
    const output = execFileSync(process.execPath, ["--input-type=module", "--eval", script], {
      cwd: root,
      encoding: "utf8"
    })
    const { url, names } = JSON.parse(output)
    expect(url).toBe(new URL("dist/index.js", new URL("..", import.meta.url)).href)
    expect([...names].sort()).toEqual(Object.keys(built).sort())
  })
})

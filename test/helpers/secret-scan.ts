/**
 * Looks for a secret in text a user or an attacker could read (engine
 * output, logs, state, artifacts, `ps`), line by line, and names where it
 * was found. One line is known to hold secrets and is allowed: the Pulumi
 * Node.js SDK traces every RegisterResource answer at debug severity with
 * secret outputs in plain text (the CLI shows it only with `--debug`;
 * pulumi-command's `connection.password` leaks the same way). Nothing else
 * is excused.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";

/** Why the one allowed line is allowed, for messages. */
export const KNOWN_SDK_DEBUG_TRACE =
  "the Pulumi Node.js SDK's debug trace of RegisterResource answers (secret outputs in plain text, shown only with --debug)";

/** The Node.js SDK's `RegisterResource RPC finished` debug trace: the one line allowed to hold a secret. */
export function isSdkDebugTrace(line: string): boolean {
  return line.includes('"severity":"debug"') && line.includes("RegisterResource RPC finished");
}

/** Where a secret was found: `<source>:<line>: <the line, cut>`. */
export interface SecretFinding {
  source: string;
  line: number;
  excerpt: string;
}

/**
 * The lines of `text` (from `source`, e.g. a file name or "engine output")
 * that hold `secret`, the SDK's debug trace excepted. The excerpt shows
 * the secret replaced by `[SECRET]`, so a failing assertion does not leak
 * it a second time.
 */
export function findSecret(text: string, secret: string, source: string): SecretFinding[] {
  if (secret === "") throw new Error("findSecret: an empty secret matches everything");
  const found: SecretFinding[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.includes(secret) || isSdkDebugTrace(line)) return;
    const excerpt = line.split(secret).join("[SECRET]").slice(0, 300);
    found.push({ source, line: i + 1, excerpt });
  });
  return found;
}

/** `findSecret` over several named texts. */
export function findSecretIn(texts: Record<string, string>, secret: string): SecretFinding[] {
  return Object.entries(texts).flatMap(([source, text]) => findSecret(text, secret, source));
}

/** Every regular file under `dir` (recursively) that holds `secret`, as findings. */
export async function findSecretInFiles(dir: string, secret: string): Promise<SecretFinding[]> {
  const found: SecretFinding[] = [];
  const walk = async (d: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = path.join(d, name);
      const st = await stat(p).catch(() => undefined);
      if (st === undefined) continue;
      if (st.isDirectory()) await walk(p);
      else if (st.isFile()) {
        const bytes = await readFile(p);
        // Binary files too (an initrd, a disk): search the raw bytes.
        if (bytes.includes(secret)) {
          found.push(...findSecret(bytes.toString("latin1"), secret, p));
        }
      }
    }
  };
  await walk(dir);
  return found;
}

/** The command lines of every process (`ps` as any user sees it), for {@link findSecret}. */
export async function processCommandLines(): Promise<string> {
  const lines: string[] = [];
  for (const pid of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const raw = await readFile(`/proc/${pid}/cmdline`).catch(() => undefined);
    if (raw !== undefined && raw.length > 0)
      lines.push(`${pid} ${raw.toString().split("\0").join(" ")}`);
  }
  return lines.join("\n");
}

/** A one-line account of findings for an assertion message. */
export function describeFindings(found: SecretFinding[]): string {
  return found.map((f) => `${f.source}:${f.line}: ${f.excerpt}`).join("\n");
}

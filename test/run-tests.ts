/**
 * Runs the compiled tests of the given tiers with node's test runner and
 * refuses silent skips: a test that skips because a tool is missing
 * (qemu, runc, sgdisk, ...) hides a gap in the machine's set-up, so under
 * CI (CI=true) or with --no-skips any skip fails the run, listed by name
 * and reason. Elsewhere skips are listed and allowed.
 *
 *   node dist/test/run-tests.js [--no-skips] TIER...   (unit, images, e2e, integration)
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const TIERS = ["unit", "images", "e2e", "integration"] as const;

/** Every `*.test.js` under `dir`, sorted. */
function testFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) found.push(...testFiles(p));
    else if (name.endsWith(".test.js")) found.push(p);
  }
  return found;
}

/** `ok N - name # SKIP reason` lines of a TAP stream, as "name: reason". */
export function skippedTests(tap: string): string[] {
  const skipped: string[] = [];
  for (const line of tap.split("\n")) {
    // node's TAP reporter escapes a `#` in a test's name as `\#`.
    const m = /^\s*ok \d+ - (.*?)(?<!\\) # SKIP\b\s*(.*)$/.exec(line);
    if (m) skipped.push(`${m[1]}: ${m[2] || "no reason given"}`);
  }
  return skipped;
}

async function main(argv: string[]): Promise<number> {
  const strict = argv.includes("--no-skips") || process.env.CI === "true";
  const tiers = argv.filter((a) => !a.startsWith("--"));
  const unknown = tiers.filter((t) => !(TIERS as readonly string[]).includes(t));
  if (tiers.length === 0 || unknown.length > 0) {
    process.stderr.write(`usage: run-tests [--no-skips] ${TIERS.join("|")}...\n`);
    return 2;
  }
  const files = tiers.flatMap((t) => testFiles(path.join(__dirname, t)));
  const scratch = await mkdtemp(path.join(os.tmpdir(), "lk-tests-"));
  const tapFile = path.join(scratch, "report.tap");
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          "--test",
          "--test-concurrency=1",
          "--test-reporter=spec",
          "--test-reporter-destination=stdout",
          "--test-reporter=tap",
          `--test-reporter-destination=${tapFile}`,
          ...files,
        ],
        { stdio: "inherit" },
      );
      child.on("error", reject);
      child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
    });
    const skipped = skippedTests(await readFile(tapFile, "utf8").catch(() => ""));
    if (skipped.length > 0) {
      const head = strict
        ? `${skipped.length} test(s) skipped, which CI does not allow: install what they need (scripts/setup.sh)`
        : `${skipped.length} test(s) skipped (CI would fail on these)`;
      process.stderr.write(`\n${head}:\n${skipped.map((s) => `  - ${s}`).join("\n")}\n`);
      if (strict && code === 0) return 1;
    }
    return code;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`run-tests: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

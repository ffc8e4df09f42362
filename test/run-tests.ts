/**
 * Runs the compiled tests of the given tiers with node's test runner and
 * refuses silent skips: a test that skips because a tool is missing
 * (qemu, runc, sgdisk, ...) hides a gap in the machine's set-up, so under
 * CI (CI=true) or with --no-skips any skip fails the run, listed by name
 * and reason. Elsewhere skips are listed and allowed.
 *
 * The unit tier's files run two at a time (`--unit-concurrency=N` to
 * change): each file is its own process, and unit tests use no Docker
 * engine, no qemu and only ephemeral ports and mkdtemp folders. The other
 * tiers share the engine, qemu's CPU time and the test images, so their
 * files run one at a time, after the unit tier rather than beside it: on
 * a 2-core machine a unit run next to a TCG boot would eat into the boot's
 * deadline.
 *
 *   node dist/test/run-tests.js [--no-skips] [--unit-concurrency=N] TIER...
 *   (TIER: unit, images, e2e, integration)
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

const TIERS = ["unit", "images", "e2e", "integration", "faults"] as const;

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

/** One `node --test` run: its files and how many of them run at once. */
interface Batch {
  files: string[];
  concurrency: number;
}

/** The unit tier on its own (files in parallel), then the other tiers, one file at a time. */
export function batches(filesByTier: Map<string, string[]>, unitConcurrency: number): Batch[] {
  const unit = filesByTier.get("unit") ?? [];
  const rest = [...filesByTier].filter(([tier]) => tier !== "unit").flatMap(([, f]) => f);
  return [
    { files: unit, concurrency: unitConcurrency },
    { files: rest, concurrency: 1 },
  ].filter((b) => b.files.length > 0);
}

/** Runs one batch; returns its exit code, its TAP report in `tapFile`. */
function runBatch(batch: Batch, tapFile: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--test",
        `--test-concurrency=${batch.concurrency}`,
        "--test-reporter=spec",
        "--test-reporter-destination=stdout",
        "--test-reporter=tap",
        `--test-reporter-destination=${tapFile}`,
        ...batch.files,
      ],
      { stdio: "inherit" },
    );
    child.on("error", reject);
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
}

async function main(argv: string[]): Promise<number> {
  const strict = argv.includes("--no-skips") || process.env.CI === "true";
  const concurrencyArg = argv.find((a) => a.startsWith("--unit-concurrency="));
  const unitConcurrency = concurrencyArg === undefined ? 2 : Number(concurrencyArg.split("=")[1]);
  const tiers = argv.filter((a) => !a.startsWith("--"));
  const unknown = tiers.filter((t) => !(TIERS as readonly string[]).includes(t));
  const flags = argv.filter((a) => a.startsWith("--"));
  const badFlags = flags.filter((a) => a !== "--no-skips" && a !== concurrencyArg);
  if (
    tiers.length === 0 ||
    unknown.length > 0 ||
    badFlags.length > 0 ||
    !Number.isInteger(unitConcurrency) ||
    unitConcurrency < 1
  ) {
    process.stderr.write(
      `usage: run-tests [--no-skips] [--unit-concurrency=N (N >= 1)] ${TIERS.join("|")}...\n`,
    );
    return 2;
  }
  const filesByTier = new Map(tiers.map((t) => [t, testFiles(path.join(__dirname, t))]));
  const scratch = await mkdtemp(path.join(os.tmpdir(), "lk-tests-"));
  try {
    let code = 0;
    const skipped: string[] = [];
    for (const [i, batch] of batches(filesByTier, unitConcurrency).entries()) {
      const tapFile = path.join(scratch, `report-${i}.tap`);
      const c = await runBatch(batch, tapFile);
      if (code === 0) code = c;
      skipped.push(...skippedTests(await readFile(tapFile, "utf8").catch(() => "")));
    }
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

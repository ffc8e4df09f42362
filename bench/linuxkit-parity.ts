/**
 * LinuxKit parity, by command: builds every YAML of LinuxKit's own corpus
 * (examples/*.yml and test/cases/**\/*.yml of a LinuxKit checkout) as
 * `tar` with LinuxKit's CLI and with ours, from local stand-in images
 * (bench/parity/stand-ins.ts), compares the two root filesystems entry by
 * entry (type, mode, owner, link target, contents; config.json and
 * runtime.json as JSON) and prints how many are the same, and every
 * difference by cause, the deliberate ones (README, "Differences from
 * LinuxKit") apart.
 *
 *   LINUXKIT_BIN=/path/to/linuxkit LINUXKIT_SRC=/path/to/linuxkit npm run parity
 *
 * One more YAML is built: a probe image with its own headers for every
 * path LinuxKit's touch and replace tables name (bench/parity/touch-probe.ts;
 * PARITY_PROBE=0 leaves it out). LinuxKit runs with `--no-sbom`: ours
 * writes no SBOM.
 *
 * Optional: PARITY_FILTER (a regular expression over the YAML's path in
 * the checkout, e.g. `^examples/`), PARITY_DETAILS=1 (list every
 * non-deliberate difference), PARITY_KEEP=1 (keep the tars and the
 * stand-in images), PARITY_JSON=file (write the results). LinuxKit reads
 * the stand-ins from the Docker engine (`build --docker`). Not part of CI:
 * it needs LinuxKit's source and binary.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { CAUSES, compareRootfs, OTHER, type YamlComparison } from "./parity/compare";
import { fillLinuxKitCache } from "./parity/linuxkit-cache";
import { corpusFiles, readCorpusYaml, type CorpusYaml, type ImageRole } from "./parity/corpus";
import { makeTouchProbe, PROBE_REF } from "./parity/touch-probe";
import { summarizeTar } from "./parity/rootfs-summary";
import { repoRoot } from "../test/helpers/paths";
import { makeStandIns, packageLabels, removeStandIns } from "./parity/stand-ins";

const CLI = path.join(repoRoot, "bin", "pulumi-linuxkit.js");
const TIMEOUT_MS = 10 * 60 * 1000;

interface BuildResult {
  ok: boolean;
  seconds: number;
  /** The last meaningful line of the output when the build failed. */
  error?: string;
}

type Outcome =
  | { kind: "compared"; comparison: YamlComparison }
  | { kind: "fail-linuxkit" | "fail-ours" | "fail-both"; linuxkit: BuildResult; ours: BuildResult };

/** The line that says why a build failed: the last one that is not blank or a usage hint. */
function errorLine(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const line =
    [...lines].reverse().find((l) => /error|fail|invalid|unknown|cannot|not /i.test(l)) ??
    lines[lines.length - 1] ??
    "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

function run(command: string, args: string[], cwd: string): BuildResult {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    timeout: TIMEOUT_MS,
    maxBuffer: 1 << 26,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status === 0) return { ok: true, seconds };
  const why = r.error ? String(r.error) : errorLine(`${r.stdout}\n${r.stderr}`);
  return { ok: false, seconds, error: why };
}

/** How LinuxKit gets the stand-ins: its cache folder, or the Docker engine (`--docker`). */
type LinuxKitImages = { cache: string } | "docker";

async function compareOne(
  lk: string,
  images: LinuxKitImages,
  y: CorpusYaml,
  work: string,
): Promise<Outcome> {
  const lkDir = path.join(work, "linuxkit");
  const ourDir = path.join(work, "ours");
  mkdirSync(lkDir, { recursive: true }); // LinuxKit does not create it
  const cwd = path.dirname(y.file); // LinuxKit reads `files:` sources from here
  const from = images === "docker" ? ["--docker"] : ["--cache", images.cache];
  // no SBOM: ours writes none (LinuxKit's sbom.spdx.json consolidates the images' SBOM attestations)
  from.push("--no-sbom");
  const linuxkit = run(
    lk,
    ["build", ...from, "--format", "tar", "--name", "parity", "--dir", lkDir, y.file],
    cwd,
  );
  const ours = run(
    process.execPath,
    [CLI, "build", "--no-cache", "--format", "tar", "--name", "parity", "--dir", ourDir, y.file],
    cwd,
  );
  if (!linuxkit.ok || !ours.ok) {
    const kind =
      !linuxkit.ok && !ours.ok ? "fail-both" : !linuxkit.ok ? "fail-linuxkit" : "fail-ours";
    return { kind, linuxkit, ours };
  }
  const [a, b] = await Promise.all([
    summarizeTar(path.join(lkDir, "parity.tar")),
    summarizeTar(path.join(ourDir, "parity.tar")),
  ]);
  return {
    kind: "compared",
    comparison: compareRootfs(a, b, { files: y.files, volumes: y.volumes }),
  };
}

function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]): string =>
    `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.slice(1).map(line)].join(
    "\n",
  );
}

async function main(): Promise<void> {
  const lk = process.env.LINUXKIT_BIN ?? "";
  const src = process.env.LINUXKIT_SRC ?? "";
  if (lk === "" || !existsSync(lk) || src === "" || !existsSync(path.join(src, "examples"))) {
    console.error(
      "linuxkit-parity: set LINUXKIT_BIN to a linuxkit binary and LINUXKIT_SRC to a linuxkit/linuxkit checkout\n" +
        "(build the binary there: cd src/cmd/linuxkit && go build -o /somewhere/linuxkit .)",
    );
    process.exit(2);
  }
  const filter = process.env.PARITY_FILTER ? new RegExp(process.env.PARITY_FILTER) : undefined;
  const corpus = corpusFiles(src)
    .map((f) => readCorpusYaml(f, src))
    .filter((y) => filter === undefined || filter.test(y.label));
  const refs = new Map<string, ImageRole>();
  for (const y of corpus) for (const [r, role] of y.images) if (!refs.has(r)) refs.set(r, role);
  console.log(`${corpus.length} YAML files, ${refs.size} image references`);
  const standIns = makeStandIns(refs, packageLabels(src));
  console.log(
    `stand-ins: ${standIns.made.length} made, ${standIns.foreign.length} already in the engine (used as they are), ${standIns.failed.size} failed`,
  );
  for (const [ref, why] of standIns.failed)
    console.log(`  no stand-in for ${ref}: ${why.split("\n").pop()}`);

  const work = mkdtempSync(path.join(os.tmpdir(), "linuxkit-parity-"));
  const mode = process.env.PARITY_LINUXKIT_IMAGES ?? "cache";
  if (mode !== "cache" && mode !== "docker") {
    console.error(`linuxkit-parity: PARITY_LINUXKIT_IMAGES=${mode}: use cache or docker`);
    process.exit(2);
  }
  // the touch probe: an image with its own headers for every touched path
  const kernelRef = [...refs].find(([, role]) => role === "kernel")?.[0];
  if (kernelRef !== undefined && process.env.PARITY_PROBE !== "0") {
    corpus.push(await makeTouchProbe(work, kernelRef));
    standIns.made.push(PROBE_REF);
  }
  let images: LinuxKitImages = "docker";
  if (mode === "cache") {
    const cache = path.join(work, "cache");
    const unsaved = fillLinuxKitCache(cache, [...standIns.made, ...standIns.foreign]);
    for (const [ref, why] of unsaved) console.log(`  not in LinuxKit's cache: ${ref}: ${why}`);
    images = { cache };
  }
  console.log(
    `LinuxKit reads the images from ${mode === "cache" ? "its cache (--cache)" : "the engine (--docker)"}`,
  );
  const results: { label: string; outcome: Outcome }[] = [];
  const started = Date.now();
  try {
    for (const [i, y] of corpus.entries()) {
      const dir = path.join(work, String(i));
      const outcome = await compareOne(lk, images, y, dir);
      results.push({ label: y.label, outcome });
      const summary =
        outcome.kind === "compared"
          ? outcome.comparison.identical
            ? "identical"
            : `${outcome.comparison.differences.length} differences (${[...outcome.comparison.byCause.keys()].join(", ")})`
          : outcome.kind;
      console.log(`[${i + 1}/${corpus.length}] ${y.label}: ${summary}`);
      if (process.env.PARITY_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    if (process.env.PARITY_KEEP !== "1") {
      rmSync(work, { recursive: true, force: true });
      removeStandIns(standIns.made);
    } else console.log(`kept: ${work}`);
  }

  const count = (p: (o: Outcome) => boolean): number => results.filter((r) => p(r.outcome)).length;
  const compared = (o: Outcome): YamlComparison | undefined =>
    o.kind === "compared" ? o.comparison : undefined;
  console.log(
    `\nLinuxKit parity (LinuxKit images: ${mode}) over ${results.length} YAML files (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  console.log(
    table(
      ["result", "YAML files"],
      [
        ["identical", count((o) => compared(o)?.identical === true)],
        [
          "same apart from deliberate differences",
          count(
            (o) =>
              compared(o)?.identical === false && compared(o)?.sameApartFromDeliberate === true,
          ),
        ],
        ["differ", count((o) => compared(o)?.sameApartFromDeliberate === false)],
        ["fail in LinuxKit only", count((o) => o.kind === "fail-linuxkit")],
        ["fail in ours only", count((o) => o.kind === "fail-ours")],
        ["fail in both", count((o) => o.kind === "fail-both")],
      ],
    ),
  );
  const causeRows = [...CAUSES, OTHER].map((c) => {
    const hits = results
      .map((r) => compared(r.outcome)?.byCause.get(c.id))
      .filter((d): d is NonNullable<typeof d> => d !== undefined);
    const example = hits[0]?.[0];
    return [
      c.title,
      c.deliberate ? "yes" : "no",
      hits.length,
      hits.reduce((n, d) => n + d.length, 0),
      example ? `${example.path} (${example.fields.join(", ")})` : "",
    ];
  });
  console.log(`\n${table(["cause", "deliberate", "YAML files", "entries", "example"], causeRows)}`);

  const failures = results.filter((r) => r.outcome.kind !== "compared");
  if (failures.length > 0) {
    console.log("\nFailures (first error line):");
    for (const r of failures) {
      if (r.outcome.kind === "compared") continue;
      const { linuxkit, ours } = r.outcome;
      console.log(`  ${r.label} [${r.outcome.kind}]`);
      if (!linuxkit.ok) console.log(`    LinuxKit: ${linuxkit.error}`);
      if (!ours.ok) console.log(`    ours:     ${ours.error}`);
    }
  }
  const differing = results.filter((r) => compared(r.outcome)?.sameApartFromDeliberate === false);
  if (differing.length > 0) {
    console.log("\nYAML files with differences that are not deliberate:");
    for (const r of differing) {
      const c = compared(r.outcome)!;
      console.log(`  ${r.label}`);
      const shown = process.env.PARITY_DETAILS === "1" ? c.differences : c.differences.slice(0, 5);
      for (const d of shown) {
        console.log(
          `    ${d.path}: ${d.fields.join(", ")} LinuxKit=${JSON.stringify(d.linuxkit)} ours=${JSON.stringify(d.ours)}`,
        );
      }
      if (shown.length < c.differences.length)
        console.log(`    … ${c.differences.length - shown.length} more (PARITY_DETAILS=1)`);
    }
  }
  if (process.env.PARITY_JSON) {
    const plain = results.map((r) => ({
      yaml: r.label,
      kind: r.outcome.kind,
      ...(r.outcome.kind === "compared"
        ? { differences: r.outcome.comparison.differences }
        : { linuxkit: r.outcome.linuxkit, ours: r.outcome.ours }),
    }));
    writeFileSync(process.env.PARITY_JSON, JSON.stringify(plain, null, 2));
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

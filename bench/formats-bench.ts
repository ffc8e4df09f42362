/**
 * Times every output format of the table on one root filesystem. Builds
 * test/fixtures/e2e/nginx-like.yml once (format `tar`), then runs each
 * format's `write` on that tar into a fresh temporary directory and prints
 * a markdown table: format | files | build time | artifact size(s).
 * Formats whose tools are missing are skipped with a note.
 * Usage: node dist/bench/formats-bench.js [FILE.yml]
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { build } from "../components/pipeline/pipeline";
import { isLinuxKitError } from "../components/errors/errors";
import { checkFormatTools, formatNames, formatTable } from "../components/formats/table";
import { loadSpecFiles } from "../components/config";

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

async function main(): Promise<void> {
  const repo = path.resolve(__dirname, "..", "..");
  const yml = process.argv[2] ?? path.join(repo, "test/fixtures/e2e/nginx-like.yml");
  const work = await mkdtemp(path.join(tmpdir(), "lk-formats-bench-"));
  try {
    const name = path.basename(yml).replace(/\.ya?ml$/, "");
    const parsed = await loadSpecFiles([yml]);
    const started = process.hrtime.bigint();
    const result = await build({
      spec: parsed.spec,
      locations: parsed.locations,
      baseDir: path.dirname(path.resolve(yml)),
      name,
      outputDir: path.join(work, "rootfs"),
      formats: ["tar"],
      noCache: true,
    });
    const buildMs = Number(process.hrtime.bigint() - started) / 1e6;
    const tarArtifact = result.artifacts.find((a) => a.file.endsWith(".tar"));
    if (tarArtifact === undefined) throw new Error("the build made no tar");
    const rootfsTarPath = path.join(result.outputDir, tarArtifact.file);
    process.stdout.write(
      `Root filesystem: ${name}.tar, ${human(tarArtifact.size)}, built in ${(buildMs / 1000).toFixed(1)} s\n\n`,
    );

    const rows: string[] = [];
    const notes: string[] = [];
    for (const formatName of formatNames()) {
      const format = formatTable.get(formatName);
      if (format === undefined) continue;
      try {
        await checkFormatTools([format]);
      } catch (err) {
        if (!isLinuxKitError(err) || err.code !== "TOOL_MISSING") throw err;
        rows.push(`| ${formatName} | ${format.files(name).join(", ")} | skipped | — |`);
        notes.push(`${formatName}: ${err.message}`);
        continue;
      }
      const dir = await mkdtemp(path.join(work, "format-"));
      try {
        await mkdir(path.join(dir, "out"));
        const t0 = process.hrtime.bigint();
        const artifacts = await format.write({
          name,
          outputDir: path.join(dir, "out"),
          rootfsTarPath,
          tmpDir: path.join(dir, "tmp"),
          options: {},
        });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const files = artifacts.map((a) => path.basename(a.path)).join(", ");
        const sizes = artifacts.map((a) => human(a.size)).join(", ");
        rows.push(`| ${formatName} | ${files} | ${(ms / 1000).toFixed(2)} s | ${sizes} |`);
      } catch (err) {
        const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
        rows.push(`| ${formatName} | ${format.files(name).join(", ")} | failed | — |`);
        notes.push(`${formatName}: ${message}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    process.stdout.write("| format | files | build time | artifact size(s) |\n|---|---|---|---|\n");
    process.stdout.write(`${rows.join("\n")}\n`);
    if (notes.length > 0) process.stdout.write(`\n${notes.map((n) => `- ${n}`).join("\n")}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});

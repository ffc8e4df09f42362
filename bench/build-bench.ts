/**
 * Build benchmark: cold build (images already in the engine), warm rebuild
 * (cache hit), and rebuild after one `files` change, each in a fresh
 * process with wall time and peak RSS; then initrd writing throughput
 * against plain `gzip -6` of the same cpio bytes (the practical limit).
 *
 * Usage: npm run bench   (needs scripts/setup.sh to have run)
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";

import { build } from "../components/pipeline/pipeline";
import { initrdChunks } from "../components/formats/blocks/initrd";
import { tarToCpio } from "../components/formats/blocks/newc-cpio";
import { scanTar } from "../components/tar/tar-scan";
import { loadSpecFiles } from "../components/config";
import { repoRoot } from "../test/helpers/paths";

const FIXTURE = path.join(repoRoot, "test", "fixtures", "e2e", "docker-sshd-like.yml");

interface Run {
  ms: number;
  maxRssMiB: number;
  cached: boolean;
  initrdBytes?: number;
}

function buildOnce(outDir: string, yaml: string, noCache: boolean, cacheHome: string): Run {
  const script = path.join(repoRoot, "dist", "bench", "build-once.js");
  const r = spawnSync(
    process.execPath,
    [script, outDir, ...(noCache ? ["--no-cache"] : []), yaml],
    {
      encoding: "utf8",
      env: { ...process.env, XDG_CACHE_HOME: cacheHome },
    },
  );
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Run;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), "lk-bench-"));
  const repeats = Number(process.env.BENCH_REPEATS ?? 3);
  try {
    const yaml = path.join(work, "bench.yml");
    await copyFile(FIXTURE, yaml);
    const out = path.join(work, "out");
    const rows: [string, Run[]][] = [];
    const cold: Run[] = [];
    const warm: Run[] = [];
    const changed: Run[] = [];
    const cacheHome = path.join(work, "cache");
    for (let i = 0; i < repeats; i++) {
      // Cold: images in the engine, nothing exported or built yet.
      await rm(cacheHome, { recursive: true, force: true });
      cold.push(buildOnce(out, yaml, true, cacheHome));
      warm.push(buildOnce(out, yaml, false, cacheHome));
      const text = await readFile(yaml, "utf8");
      await writeFile(
        yaml,
        text.replace(/\{"debug": true\}/, `{"debug": true, "bench": ${i + 1}}`),
      );
      changed.push(buildOnce(out, yaml, false, cacheHome));
      await copyFile(FIXTURE, yaml);
    }
    rows.push(
      ["cold build (images in engine, empty export cache)", cold],
      ["warm rebuild (cache hit)", warm],
      ["rebuild after one files change (exports cached)", changed],
    );
    console.log(
      `\nBuild of ${path.relative(repoRoot, FIXTURE)}, median of ${repeats} runs, each in a fresh process`,
    );
    console.log("| scenario | wall time | peak RSS | rebuilt |");
    console.log("|---|---:|---:|---|");
    for (const [name, runs] of rows) {
      console.log(
        `| ${name} | ${(median(runs.map((r) => r.ms)) / 1000).toFixed(2)} s | ${median(runs.map((r) => r.maxRssMiB)).toFixed(0)} MiB | ${runs.every((r) => r.cached) ? "no (cache hit)" : "yes"} |`,
      );
    }

    // Initrd throughput against gzip -6 on the same cpio bytes.
    const parsed = await loadSpecFiles([FIXTURE]);
    const tarOut = path.join(work, "tar");
    const built = await build({
      spec: parsed.spec,
      locations: parsed.locations,
      baseDir: path.dirname(FIXTURE),
      name: "bench",
      outputDir: tarOut,
      formats: ["tar"],
    });
    const tarPath = built.artifacts[0]!.path;
    const tarBytes = (await stat(tarPath)).size;
    const cpioPath = path.join(work, "rootfs.cpio");
    const cpioMs = await timeIt(() => tarToCpio(tarPath, createWriteStream(cpioPath)));
    const cpioBytes = (await stat(cpioPath)).size;
    const ours: number[] = [];
    const gzip: number[] = [];
    for (let i = 0; i < repeats; i++) {
      ours.push(
        await timeIt(async () => {
          const scan = await scanTar(tarPath);
          await pipeline(
            Readable.from(initrdChunks(tarPath, scan, { gzipLevel: 6 })),
            createWriteStream(path.join(work, "initrd.img")),
          );
        }),
      );
      gzip.push(
        await timeIt(
          async () => void execFileSync("sh", ["-c", `gzip -6 -c ${cpioPath} > ${work}/cpio.gz`]),
        ),
      );
    }
    const mbps = (bytes: number, ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(1);
    console.log(
      `\nInitrd writing: rootfs tar ${(tarBytes / 1e6).toFixed(1)} MB → cpio ${(cpioBytes / 1e6).toFixed(1)} MB, median of ${repeats}`,
    );
    console.log("| step | time | throughput (cpio MB/s) |");
    console.log("|---|---:|---:|");
    console.log(
      `| tar → cpio, uncompressed | ${(cpioMs / 1000).toFixed(2)} s | ${mbps(cpioBytes, cpioMs)} |`,
    );
    console.log(
      `| tar → initrd (cpio + gzip -6 in node) | ${(median(ours) / 1000).toFixed(2)} s | ${mbps(cpioBytes, median(ours))} |`,
    );
    console.log(
      `| plain \`gzip -6\` of the same cpio | ${(median(gzip) / 1000).toFixed(2)} s | ${mbps(cpioBytes, median(gzip))} |`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

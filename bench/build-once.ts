/**
 * Runs one build in this process and prints one JSON line with its wall
 * time and peak RSS, so the benchmark measures each scenario in a fresh
 * process. Usage: node dist/bench/build-once.js OUTDIR [--no-cache] [--format F]... FILE.yml...
 */
import path from "node:path";

import { build } from "../components/pipeline/pipeline";
import { loadSpecFiles } from "../components/config";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const noCache = args.includes("--no-cache");
  const formats: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--format") formats.push(args[++i] ?? "");
    else if (args[i] !== "--no-cache") rest.push(args[i]!);
  }
  const [outDir, ...files] = rest;
  if (outDir === undefined || files.length === 0)
    throw new Error("usage: build-once OUTDIR [--no-cache] [--format F]... FILE.yml...");
  const started = process.hrtime.bigint();
  const parsed = await loadSpecFiles(files);
  const result = await build({
    spec: parsed.spec,
    locations: parsed.locations,
    baseDir: path.dirname(path.resolve(files[0]!)),
    name: path.basename(files[0]!).replace(/\.ya?ml$/, ""),
    outputDir: outDir,
    noCache,
    ...(formats.length > 0 ? { formats } : {}),
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const usage = process.resourceUsage();
  const cpuMs = (usage.userCPUTime + usage.systemCPUTime) / 1000;
  const initrd = result.artifacts.find((a) => a.file.endsWith("-initrd.img"));
  process.stdout.write(
    `${JSON.stringify({ ms, cpuMs, maxRssMiB: usage.maxRSS / 1024, cached: result.cached, initrdBytes: initrd?.size })}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});

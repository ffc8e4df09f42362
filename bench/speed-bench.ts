/**
 * Build and Pulumi start-up speed, each figure the median of BENCH_RUNS
 * (default 5) runs, every run a fresh process timed by GNU time.
 *
 * Build table: `pulumi-linuxkit build --no-cache` (the CLI as users run
 * it, start-up included; images already in the engine) for the nginx-like
 * fixture and a busybox-size YAML, kernel+initrd, iso-bios and raw-bios.
 * When LINUXKIT_BIN names a `linuxkit` binary, rows gain LinuxKit's
 * `build --docker` time and the ratio; otherwise those columns are left
 * out. LinuxKit's ISO and disk formats run its mkimage containers, which
 * this machine cannot pull: for `iso-bios` and `raw-bios` LinuxKit's time
 * is its build of what it feeds the container (`--format tar`, resp.
 * kernel+initrd) plus the container's script replayed with the same tools
 * (bench/linuxkit-tools.ts), summed run by run and marked "est.".
 *
 * Pulumi table: what a program and the dynamic provider pay to load the
 * library: `require("@pulumi/pulumi")` alone, plus `require("pulumi-linuxkit")`,
 * plus loading the Image and QemuVm provider implementations.
 *
 * Usage: npm run build && node dist/bench/speed-bench.js
 */
import { existsSync, mkdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { isoBiosToolTime, linuxKitToolsPresent, rawBiosToolTime } from "./linuxkit-tools";
import { measure, medians, type Measured } from "./measure";
import { repoRoot } from "../test/helpers/paths";
import { loadSpecFiles } from "../components/config";
import { imageFields } from "../components/config/locations";
import { pushFromEngine } from "../test/helpers/oci-push";
import { TestRegistry } from "../test/helpers/registry";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CLI = path.join(repoRoot, "bin", "pulumi-linuxkit.js");
const NGINX = path.join(repoRoot, "test", "fixtures", "e2e", "nginx-like.yml");

/** The smallest useful image: kernel, init, one busybox service. */
const BUSYBOX_YAML = `kernel:
  image: linuxkit-test/kernel:test
  cmdline: "console=ttyS0"
init:
  - linuxkit-test/init:test
  - linuxkit-test/runc:test
services:
  - name: shell
    image: linuxkit-test/busybox:test
`;

interface Case {
  label: string;
  yaml: string;
  format: string;
  /** Extra arguments of our build. */
  args?: string[];
  /** Extra environment of our build. */
  env?: NodeJS.ProcessEnv;
  /** Leave out `--no-cache` (a cache-repo hit is a previous build). */
  reuse?: boolean;
}

const fmt = (s: number): string => `${s.toFixed(2)} s`;

function ours(c: Case, dir: string): Measured {
  return measure(
    process.execPath,
    [
      CLI,
      "build",
      ...(c.reuse ? [] : ["--no-cache"]),
      ...(c.args ?? []),
      "--format",
      c.format,
      "--dir",
      dir,
      "--name",
      "bench",
      c.yaml,
    ],
    { ...process.env, ...c.env },
  );
}

function linuxkitBuild(bin: string, c: Case, format: string, dir: string): Measured {
  mkdirSync(dir, { recursive: true }); // LinuxKit does not create it
  return measure(bin, [
    "build",
    "--docker",
    "--format",
    format,
    "--dir",
    dir,
    "--name",
    "bench",
    c.yaml,
  ]);
}

function plus(a: Measured, b: Measured): Measured {
  return { wall: a.wall + b.wall, cpu: a.cpu + b.cpu, rssMiB: Math.max(a.rssMiB, b.rssMiB) };
}

/**
 * One LinuxKit run of a case: its own build for kernel+initrd; for the ISO
 * and disk, the build of its container's input plus the container's tools.
 */
function linuxkit(bin: string, c: Case, dir: string): Measured {
  switch (c.format) {
    case "kernel+initrd":
      return linuxkitBuild(bin, c, c.format, dir);
    case "iso-bios":
      return plus(
        linuxkitBuild(bin, c, "tar", dir),
        isoBiosToolTime(path.join(dir, "bench.tar"), path.join(dir, "iso-work")),
      );
    case "raw-bios": {
      const f = (s: string): string => path.join(dir, `bench-${s}`);
      return plus(
        linuxkitBuild(bin, c, "kernel+initrd", dir),
        rawBiosToolTime(f("kernel"), f("initrd.img"), f("cmdline"), path.join(dir, "bios-work")),
      );
    }
    default:
      throw new Error(`no LinuxKit comparison for ${c.format}`);
  }
}

async function buildTable(work: string): Promise<void> {
  const busybox = path.join(work, "busybox-size.yml");
  await writeFile(busybox, BUSYBOX_YAML);
  const cases: Case[] = [
    { label: "nginx-like.yml", yaml: NGINX, format: "kernel+initrd" },
    { label: "busybox-size", yaml: busybox, format: "kernel+initrd" },
    {
      label: "nginx-like.yml, export cache off",
      yaml: NGINX,
      format: "kernel+initrd",
      env: { PULUMI_LINUXKIT_EXPORT_CACHE: "0" },
    },
    {
      label: "nginx-like.yml, --gzip-level 6",
      yaml: NGINX,
      format: "kernel+initrd",
      args: ["--gzip-level", "6"],
    },
    { label: "nginx-like.yml", yaml: NGINX, format: "iso-bios" },
    { label: "nginx-like.yml", yaml: NGINX, format: "raw-bios" },
  ];
  const lk = process.env.LINUXKIT_BIN;
  const withLinuxKit = lk !== undefined && lk !== "" && existsSync(lk);
  const toolsPresent = withLinuxKit && linuxKitToolsPresent();
  const header = ["YAML", "format", "ours wall", "ours CPU", "ours peak RSS"];
  if (withLinuxKit) header.push("LinuxKit wall", "LinuxKit CPU", "wall ratio");
  const rows: string[][] = [];
  for (const c of cases) {
    const dir = path.join(work, "out");
    const lkDir = path.join(work, "lk-out");
    const compare = withLinuxKit && (c.format === "kernel+initrd" || toolsPresent);
    const estimated = c.format !== "kernel+initrd";
    // One warm-up run each (page cache, export caches), not counted; then
    // the two tools alternate, so load from elsewhere hits both alike.
    ours(c, dir);
    if (compare) linuxkit(lk, c, lkDir);
    const runs: Measured[] = [];
    const lkRuns: Measured[] = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(ours(c, dir));
      if (compare) lkRuns.push(linuxkit(lk, c, lkDir));
    }
    const m = medians(runs);
    const row = [c.label, c.format, fmt(m.wall), fmt(m.cpu), `${m.rssMiB.toFixed(0)} MiB`];
    if (withLinuxKit) {
      if (compare) {
        const l = medians(lkRuns);
        const est = estimated ? " (est.)" : "";
        row.push(`${fmt(l.wall)}${est}`, `${fmt(l.cpu)}${est}`, `${(m.wall / l.wall).toFixed(2)}×`);
      } else {
        row.push("—", "—", "—");
      }
    }
    rows.push(row);
    process.stderr.write(`[speed-bench] ${row.join(" | ")}\n`);
  }
  console.log(
    `\nBuild (\`build --no-cache\`, images in the engine), median of ${RUNS} fresh processes, ${os.availableParallelism()} cores, load average ${os.loadavg()[0]!.toFixed(1)} at the end`,
  );
  printTable(header, rows);
  if (withLinuxKit) {
    console.log(
      "\n(est.): LinuxKit's build of its mkimage container's input (`--format tar` for iso-bios, kernel+initrd for raw-bios) plus that container's script replayed with the same tools; container start-up not counted.",
    );
  }
}

/**
 * Builds with no engine (DOCKER_HOST at nothing, `--source registry`), the
 * nginx-like images served by Debian's docker-registry on loopback as a
 * Docker Hub mirror: cold (empty OCI cache each run) and warm (cache
 * filled), both with the tree cache off so every run applies the layers;
 * the engine build with the same settings beside them.
 */
async function registryTable(work: string): Promise<void> {
  const hub = await TestRegistry.start();
  try {
    const { spec } = await loadSpecFiles([NGINX]);
    for (const ref of new Set(imageFields(spec).map(([, r]) => r))) {
      const [repo, tag] = ref.split(":") as [string, string];
      await pushFromEngine({ base: `http://${hub.host}` }, ref, repo, tag);
    }
    const oci = path.join(work, "oci");
    const env = {
      PULUMI_LINUXKIT_EXPORT_CACHE: "0",
      PULUMI_LINUXKIT_REGISTRY_MIRRORS: `http://${hub.host}`,
      PULUMI_LINUXKIT_OCI_CACHE: oci,
    };
    const noEngine = { ...env, DOCKER_HOST: "unix:///nonexistent/docker.sock" };
    const repoArgs = ["--source", "registry", "--cache-repo", `${hub.host}/bench/builds`];
    const cases: [string, Case, boolean][] = [
      [
        "engine (images in it)",
        { label: "", yaml: NGINX, format: "kernel+initrd", args: ["--source", "docker"], env },
        false,
      ],
      [
        "registry, cold (empty OCI cache)",
        {
          label: "",
          yaml: NGINX,
          format: "kernel+initrd",
          args: ["--source", "registry"],
          env: noEngine,
        },
        true,
      ],
      [
        "registry, warm (OCI cache filled)",
        {
          label: "",
          yaml: NGINX,
          format: "kernel+initrd",
          args: ["--source", "registry"],
          env: noEngine,
        },
        false,
      ],
    ];
    cases.push([
      "cache-repo hit (empty OCI cache and output folder)",
      {
        label: "",
        yaml: NGINX,
        format: "kernel+initrd",
        args: repoArgs,
        env: noEngine,
        reuse: true,
      },
      true,
    ]);
    const rows: string[][] = [];
    for (const [label, c, cold] of cases) {
      const dir = path.join(work, "reg-out");
      ours(c, dir); // warm-up (fills the OCI cache for the warm row, pushes to the cache repo)
      const runs: Measured[] = [];
      for (let i = 0; i < RUNS; i++) {
        if (cold) await rm(oci, { recursive: true, force: true });
        if (c.reuse) await rm(dir, { recursive: true, force: true });
        runs.push(ours(c, dir));
      }
      const m = medians(runs);
      rows.push([label, "kernel+initrd", fmt(m.wall), fmt(m.cpu), `${m.rssMiB.toFixed(0)} MiB`]);
      process.stderr.write(`[speed-bench] ${rows.at(-1)!.join(" | ")}\n`);
    }
    console.log(
      `\nnginx-like.yml without an engine (\`build --no-cache --source registry\`, loopback docker-registry as Docker Hub mirror, tree cache off), median of ${RUNS} fresh processes`,
    );
    printTable(["source", "format", "wall", "CPU", "peak RSS"], rows);
  } finally {
    await hub.stop();
  }
}

function pulumiTable(): void {
  const index = path.join(repoRoot, "dist", "components", "index.js");
  const providers = path.join(repoRoot, "dist", "components", "pulumi", "providers.js");
  const scripts: [string, string][] = [
    ["node, nothing loaded", ""],
    ['require("@pulumi/pulumi")', 'require("@pulumi/pulumi");'],
    [
      '+ require("pulumi-linuxkit") (a program)',
      `require("@pulumi/pulumi"); require(${JSON.stringify(index)});`,
    ],
    [
      "+ Image and QemuVm provider implementations (the provider process)",
      `require("@pulumi/pulumi"); const p = require(${JSON.stringify(providers)}); p.loadProvider("image"); p.loadProvider("qemuVm");`,
    ],
  ];
  // Round-robin over the scripts, so load from elsewhere hits every row alike.
  const runs: Measured[][] = scripts.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    scripts.forEach(([, script], j) => runs[j]!.push(measure(process.execPath, ["-e", script])));
  }
  const base = medians(runs[0]!).wall;
  const rows = scripts.map(([label], j) => {
    const m = medians(runs[j]!);
    return [label, fmt(m.wall), fmt(m.wall - base), `${m.rssMiB.toFixed(0)} MiB`];
  });
  console.log(`\nPulumi side: loading, median of ${RUNS} fresh processes`);
  printTable(["process loads", "wall", "over bare node", "peak RSS"], rows);
}

function printTable(header: string[], rows: string[][]): void {
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map((_, i) => (i < 2 ? "---" : "---:")).join("|")}|`);
  for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), "lk-speed-bench-"));
  try {
    if (process.env.BENCH_ONLY !== "registry") await buildTable(work);
    await registryTable(work);
    if (process.env.BENCH_ONLY !== "registry") pulumiTable();
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});

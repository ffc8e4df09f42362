/**
 * Pulumi benchmark: what a no-op `pulumi preview` of a LocalMachine (one
 * Image, one QemuVm) costs over an empty program, for a user's program in
 * plain JavaScript and one in TypeScript. This checkout is packed (`npm
 * pack`) and installed with `@pulumi/pulumi` into fresh folders outside the
 * repository (bench/pulumi-programs.ts), as a user installs it.
 *
 * For each language: `up` of the LocalMachine program (its Image create,
 * the build, and QemuVm create, boot until ready, timed from the engine's
 * events) and of the empty program; one untimed preview of each; then N
 * rounds of one `pulumi preview` of each, alternately, every one a fresh
 * CLI process timed with GNU time (wall and CPU); every preview must
 * report no change. Measured apart, in the same folder: how long Pulumi's
 * dynamic-provider host (the plugin the engine launches for any dynamic
 * resource) takes from exec to serving, and how long our providers take
 * in a process that loaded what that host loads: loading their modules,
 * then the Image's and the QemuVm's check and diff on the stack's state.
 * Then `destroy`, so only one VM runs at a time.
 *
 * The same through the provider plugin (bench/pulumi-plugin-programs.ts):
 * an Image feeding a `qemu.Vm` from a TypeScript program (the generated
 * Node.js SDK) and from a Python program (the generated Python SDK), each
 * against an empty program of its language, with the plugin's own start
 * (exec → serving) measured apart.
 *
 * Usage: npm run bench:pulumi   (BENCH_REPEATS=N, default 5;
 * BENCH_LANGUAGES=js,ts,ts-plugin,python, the default, or a part of it).
 * Needs the Pulumi CLI, npm (offline cache is enough), Docker with the
 * linuxkit-test/* images, qemu, and for the plugin rows what setup.sh
 * installs (Python language host and venv). Destroys everything it made
 * at the end.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";

import { pulumiBinDir, pulumiCommand, pulumiEnv } from "../test/helpers/pulumi-env";
import { measureWithOutput, median, type Measured } from "./measure";
import { packLibrary, repoVersion } from "../test/helpers/packed-library";
import { makePrograms, type Language, type ProgramDir } from "./pulumi-programs";
import { makePluginPrograms } from "./pulumi-plugin-programs";
import { installPlugin, pluginEnv, pluginVersion } from "../test/helpers/provider-plugin";

const STACK = `bench${process.pid}`;
const IMAGE_TYPE = "pulumi-nodejs:dynamic/linuxkit:Image";
const VM_TYPE = "pulumi-nodejs:dynamic/linuxkit:QemuVm";
const PLUGIN_IMAGE_TYPE = "linuxkit:index:Image";
const PLUGIN_VM_TYPE = "linuxkit:qemu:Vm";
const LANGUAGES: readonly Language[] = ["js", "ts", "ts-plugin", "python"];

/** Whether `language`'s programs use the provider plugin (else the dynamic resources). */
const viaPlugin = (language: Language): boolean =>
  language === "ts-plugin" || language === "python";

/**
 * Our part of a no-op as Pulumi's dynamic-provider host runs it: the
 * host's own modules first (not ours, timed for reference), then each
 * resource's `__provider` module from state, its first call (which loads
 * our implementation), check and diff. Prints milliseconds as JSON.
 */
const PROVIDER_COST_SCRIPT = `"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");
const now = () => performance.now();
let t = now();
require("@pulumi/pulumi/runtime");
require("@pulumi/pulumi/proto/provider_grpc_pb");
const out = { hostModules: now() - t };
const resources = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
function fromString(code) {
  const filename = path.join(process.cwd(), "__provider.js");
  const m = new Module(filename, module);
  m.filename = filename;
  m.paths = Module._nodeModulePaths(process.cwd());
  m._compile(code, filename);
  return m.exports;
}
(async () => {
  for (const [key, type] of [["image", ${JSON.stringify(IMAGE_TYPE)}], ["vm", ${JSON.stringify(VM_TYPE)}]]) {
    const r = resources.find((x) => x.type === type);
    t = now();
    const provider = fromString(r.inputs.__provider).handler();
    await provider.configure({ config: {} });
    out[key + "Load"] = now() - t;
    t = now();
    const checked = await provider.check(r.inputs, r.inputs);
    out[key + "Check"] = now() - t;
    t = now();
    const diff = await provider.diff(r.id, r.outputs, checked.inputs);
    out[key + "Diff"] = now() - t;
    if ((checked.failures ?? []).length > 0 || diff.changes !== false) {
      throw new Error(type + " is not a no-op: " + JSON.stringify({ checked, diff }));
    }
  }
  console.log(JSON.stringify(out));
  process.exit(0);
})();
`;

function progress(line: string): void {
  process.stderr.write(`[pulumi-bench] ${line}\n`);
}

function quiet(): void {
  /* engine output is not part of the measurement */
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** A port nobody listens on right now, for the program's HTTP forward. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Wall time from each resource's step start to its outputs, per resource type, as events arrive. */
class StepTimer {
  private readonly started = new Map<string, number>();
  readonly durations = new Map<string, number>();

  readonly onEvent = (e: EngineEvent): void => {
    const now = performance.now();
    const pre = e.resourcePreEvent?.metadata;
    if (pre !== undefined) this.started.set(pre.urn, now);
    const done = e.resOutputsEvent?.metadata;
    if (done !== undefined) {
      const start = this.started.get(done.urn);
      if (start !== undefined) this.durations.set(done.type, now - start);
    }
  };

  of(type: string): number {
    const ms = this.durations.get(type);
    if (ms === undefined) throw new Error(`no step events for ${type}`);
    return ms;
  }
}

/** The environment of every `pulumi` run: a local file backend, TCG guests, and no NODE_PATH (the install stands alone). */
function benchEnv(stateDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...pulumiEnv(stateDir) };
  delete env.NODE_PATH;
  return env;
}

async function stackOf(p: ProgramDir, env: NodeJS.ProcessEnv): Promise<Stack> {
  return LocalWorkspace.createOrSelectStack(
    { stackName: STACK, workDir: p.dir },
    {
      envVars: Object.fromEntries(
        Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
      ),
      pulumiCommand: await pulumiCommand(),
    },
  );
}

/** One `pulumi preview` in a fresh CLI process; throws unless it changes nothing. */
function preview(p: ProgramDir, env: NodeJS.ProcessEnv): Measured {
  const { measured, stdout } = measureWithOutput(
    "pulumi",
    ["preview", "--json", "--non-interactive", "--stack", STACK],
    { env, cwd: p.dir },
  );
  const summary = (JSON.parse(stdout) as { changeSummary?: Record<string, number> }).changeSummary;
  const changed = Object.entries(summary ?? {}).filter(([k, n]) => k !== "same" && n > 0);
  if (summary === undefined || changed.length > 0) {
    throw new Error(`preview in ${p.dir} is not a no-op: ${JSON.stringify(summary)}`);
  }
  return measured;
}

/**
 * Milliseconds from exec of a provider plugin, as the engine launches it,
 * to its port on stdout: Pulumi's dynamic-provider host by default, or
 * the executable `plugin`.
 */
function hostStart(
  p: ProgramDir,
  env: NodeJS.ProcessEnv,
  plugin = path.join(pulumiBinDir(), "pulumi-resource-pulumi-nodejs"),
): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(plugin, ["127.0.0.1:1"], {
      cwd: p.dir,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
    });
    const kill = (): void => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`${path.basename(plugin)} printed no port within 60 s`));
    }, 60_000);
    child.stdout.once("data", () => {
      const ms = performance.now() - t;
      clearTimeout(timer);
      child.once("exit", () => resolve(ms));
      kill();
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

interface ProviderCost {
  hostModules: number;
  imageLoad: number;
  imageCheck: number;
  imageDiff: number;
  vmLoad: number;
  vmCheck: number;
  vmDiff: number;
}

/** {@link PROVIDER_COST_SCRIPT} in a fresh node process in the program's folder, on `stateFile`. */
function providerCost(p: ProgramDir, script: string, stateFile: string, env: NodeJS.ProcessEnv) {
  const out = execFileSync(process.execPath, [script, stateFile], {
    cwd: p.dir,
    env,
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").pop()!) as ProviderCost;
}

interface LanguageResult {
  empty: Measured[];
  full: Measured[];
  hostStartMs: number[];
  /** Our dynamic providers' part, apart (none for the plugin: its start is `hostStartMs`). */
  costs: ProviderCost[];
  upMs: number;
  buildMs: number;
  bootMs: number;
  destroyMs: number;
}

async function benchLanguage(
  language: Language,
  programs: ProgramDir[],
  env: NodeJS.ProcessEnv,
  repeats: number,
  work: string,
  stacks: Stack[],
): Promise<LanguageResult> {
  const full = programs.find((p) => p.language === language && !p.empty)!;
  const empty = programs.find((p) => p.language === language && p.empty)!;
  const fullStack = await stackOf(full, env);
  const emptyStack = await stackOf(empty, env);
  stacks.push(fullStack, emptyStack);
  await fullStack.setConfig("httpPort", { value: String(await freePort()) });

  progress(`${language}: up (build and boot), and up of the empty program`);
  const timer = new StepTimer();
  const upMs = await timeIt(() => fullStack.up({ onOutput: quiet, onEvent: timer.onEvent }));
  await emptyStack.up({ onOutput: quiet });

  progress(`${language}: one preview of each, not timed`);
  preview(full, env);
  preview(empty, env);
  const fullRuns: Measured[] = [];
  const emptyRuns: Measured[] = [];
  for (let i = 0; i < repeats; i++) {
    progress(`${language}: previews, round ${i + 1} of ${repeats}`);
    fullRuns.push(preview(full, env));
    emptyRuns.push(preview(empty, env));
  }

  const plugin = viaPlugin(language);
  const hostStartMs: number[] = [];
  const costs: ProviderCost[] = [];
  if (plugin) {
    progress(`${language}: the plugin's start, apart`);
    for (let i = 0; i < repeats; i++)
      hostStartMs.push(await hostStart(full, env, pluginExecutable(env)));
  } else {
    progress(`${language}: the dynamic-provider host and our providers, apart`);
    for (let i = 0; i < repeats; i++) hostStartMs.push(await hostStart(full, env));
    costs.push(...(await dynamicProviderCosts(language, full, fullStack, env, repeats, work)));
  }

  progress(`${language}: destroy`);
  const destroyMs = await timeIt(() => fullStack.destroy({ onOutput: quiet }));
  return {
    empty: emptyRuns,
    full: fullRuns,
    hostStartMs,
    costs,
    upMs,
    buildMs: timer.of(plugin ? PLUGIN_IMAGE_TYPE : IMAGE_TYPE),
    bootMs: timer.of(plugin ? PLUGIN_VM_TYPE : VM_TYPE),
    destroyMs,
  };
}

/** The plugin as `pulumi plugin install` put it into the PULUMI_HOME of `env`. */
function pluginExecutable(env: NodeJS.ProcessEnv): string {
  return path.join(
    env.PULUMI_HOME!,
    "plugins",
    `resource-linuxkit-v${pluginVersion}`,
    "pulumi-resource-linuxkit",
  );
}

/** {@link PROVIDER_COST_SCRIPT} `repeats` times on the stack's state. */
async function dynamicProviderCosts(
  language: Language,
  full: ProgramDir,
  fullStack: Stack,
  env: NodeJS.ProcessEnv,
  repeats: number,
  work: string,
): Promise<ProviderCost[]> {
  const { deployment } = (await fullStack.exportStack()) as unknown as {
    deployment: { resources: unknown[] };
  };
  const stateFile = path.join(work, `${language}-resources.json`);
  await writeFile(stateFile, JSON.stringify(deployment.resources));
  const script = path.join(full.dir, ".bench-provider-cost.js");
  await writeFile(script, PROVIDER_COST_SCRIPT);
  const costs: ProviderCost[] = [];
  for (let i = 0; i < repeats; i++) costs.push(providerCost(full, script, stateFile, env));
  return costs;
}

function row(cells: string[], widths: number[]): string {
  return `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const rule = `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [row(header, widths), rule, ...rows.map((r) => row(r, widths))].join("\n");
}

const sec = (s: number): string => `${s.toFixed(2)} s`;
const samples = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(", ");

const LANGUAGE_NAMES: Record<Language, string> = {
  js: "JavaScript",
  ts: "TypeScript",
  "ts-plugin": "TypeScript via the plugin",
  python: "Python via the plugin",
};

/** The rows of a language through the plugin: its previews, the plugin's start apart, up and destroy. */
function pluginRows(language: Language, r: LanguageResult): string[][] {
  const name = LANGUAGE_NAMES[language];
  const wall = (ms: Measured[]): number[] => ms.map((m) => m.wall);
  const cpu = (ms: Measured[]): number[] => ms.map((m) => m.cpu);
  const fullWall = median(wall(r.full));
  const emptyWall = median(wall(r.empty));
  const host = r.hostStartMs.map((ms) => ms / 1000);
  return [
    [
      `${name}, empty program: \`pulumi preview\``,
      samples(wall(r.empty)),
      sec(emptyWall),
      sec(median(cpu(r.empty))),
    ],
    [
      `${name}, Image+Vm: no-op \`pulumi preview\``,
      samples(wall(r.full)),
      sec(fullWall),
      sec(median(cpu(r.full))),
    ],
    [
      `**${name}: over empty**`,
      "",
      `**${sec(fullWall - emptyWall)}**`,
      sec(median(cpu(r.full)) - median(cpu(r.empty))),
    ],
    ["  apart: pulumi-resource-linuxkit, exec → serving", samples(host), sec(median(host)), ""],
    [`${name}: \`up\` of the program`, "", sec(r.upMs / 1000), ""],
    ["  Image create (build)", "", sec(r.buildMs / 1000), ""],
    ["  Vm create (boot until ready)", "", sec(r.bootMs / 1000), ""],
    [`${name}: \`destroy\``, "", sec(r.destroyMs / 1000), ""],
  ];
}

function languageRows(language: Language, r: LanguageResult): string[][] {
  if (viaPlugin(language)) return pluginRows(language, r);
  const name = LANGUAGE_NAMES[language];
  const wall = (ms: Measured[]): number[] => ms.map((m) => m.wall);
  const cpu = (ms: Measured[]): number[] => ms.map((m) => m.cpu);
  const fullWall = median(wall(r.full));
  const emptyWall = median(wall(r.empty));
  const apart = (f: (c: ProviderCost) => number): number[] => r.costs.map((c) => f(c) / 1000);
  const host = r.hostStartMs.map((ms) => ms / 1000);
  const hostModules = apart((c) => c.hostModules);
  const load = apart((c) => c.imageLoad + c.vmLoad);
  const work = apart((c) => c.imageCheck + c.imageDiff + c.vmCheck + c.vmDiff);
  return [
    [
      `${name}, empty program: \`pulumi preview\``,
      samples(wall(r.empty)),
      sec(emptyWall),
      sec(median(cpu(r.empty))),
    ],
    [
      `${name}, Image+QemuVm: no-op \`pulumi preview\``,
      samples(wall(r.full)),
      sec(fullWall),
      sec(median(cpu(r.full))),
    ],
    [
      `**${name}: over empty**`,
      "",
      `**${sec(fullWall - emptyWall)}**`,
      sec(median(cpu(r.full)) - median(cpu(r.empty))),
    ],
    [
      "  apart: Pulumi's dynamic-provider host, exec → serving",
      samples(host),
      sec(median(host)),
      "",
    ],
    [
      "    of which loading @pulumi/pulumi's runtime and protobufs",
      samples(hostModules),
      sec(median(hostModules)),
      "",
    ],
    ["  apart: our providers' modules loading in that host", samples(load), sec(median(load)), ""],
    ["  apart: Image check+diff, QemuVm check+diff", samples(work), sec(median(work)), ""],
    [`${name}: \`up\` of the program`, "", sec(r.upMs / 1000), ""],
    ["  Image create (build)", "", sec(r.buildMs / 1000), ""],
    ["  QemuVm create (boot until ready)", "", sec(r.bootMs / 1000), ""],
    [`${name}: \`destroy\``, "", sec(r.destroyMs / 1000), ""],
  ];
}

/** The Python and Pulumi Python SDK versions of the venv, printed by the venv's python. */
const PY_VERSIONS = `import platform
from importlib.metadata import version
print(platform.python_version() + " with pulumi " + version("pulumi"))`;

/** BENCH_LANGUAGES (comma-separated), default all, in table order. */
function chosenLanguages(): Language[] {
  const asked = process.env.BENCH_LANGUAGES?.split(",").map((l) => l.trim());
  if (asked === undefined) return [...LANGUAGES];
  const unknown = asked.filter((l) => !(LANGUAGES as readonly string[]).includes(l));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_LANGUAGES: unknown ${unknown.join(", ")}; use some of ${LANGUAGES.join(",")}`,
    );
  }
  return LANGUAGES.filter((l) => asked.includes(l));
}

async function main(): Promise<void> {
  const repeats = Number(process.env.BENCH_REPEATS ?? 5);
  const loadBefore = os.loadavg();
  const work = await mkdtemp(path.join(os.tmpdir(), "lk-pulumi-bench-"));
  const stateDir = path.join(work, "state");
  await mkdir(stateDir, { recursive: true });
  const env = benchEnv(stateDir);
  const languages = chosenLanguages();
  const stacks: Stack[] = [];
  try {
    const programs: ProgramDir[] = [];
    if (languages.some((l) => !viaPlugin(l))) {
      progress("npm pack, and npm install into the program folders");
      programs.push(...(await makePrograms(work, packLibrary(work))));
    }
    let withPlugin = env;
    if (languages.some(viaPlugin)) {
      progress("the plugin tarball, installed into a scratch PULUMI_HOME; the SDKs' programs");
      const home = path.join(work, "pulumi-home");
      await installPlugin(home);
      withPlugin = { ...process.env, ...pluginEnv(stateDir, home) };
      delete withPlugin.NODE_PATH;
      programs.push(...(await makePluginPrograms(work)));
    }
    const results = new Map<Language, LanguageResult>();
    for (const language of languages) {
      const e = viaPlugin(language) ? withPlugin : env;
      results.set(language, await benchLanguage(language, programs, e, repeats, work, stacks));
    }
    const rows = [...results].flatMap(([language, r]) => languageRows(language, r));
    const pulumiVersion = execFileSync("pulumi", ["version"], { env, encoding: "utf8" }).trim();
    const sdk = { version: await repoVersion("@pulumi/pulumi") };
    const typescript = { version: await repoVersion("typescript") };
    const python = languages.includes("python")
      ? `, Python ${execFileSync("python3", ["-c", PY_VERSIONS], { env: withPlugin, encoding: "utf8" }).trim()}`
      : "";
    const loadAfter = os.loadavg();
    const avg = (l: number[]): string => l.map((x) => x.toFixed(2)).join(" ");
    process.stdout.write(
      `\n${table(["measure", `samples (s), n=${repeats}`, "median wall", "median CPU"], rows)}\n`,
    );
    process.stdout.write(
      [
        "",
        `Each preview a fresh \`pulumi preview\` process; over empty = difference of the medians.`,
        `"apart" rows: measured in separate processes in the same folder, not inside the previews.`,
        `Pulumi CLI ${pulumiVersion}, @pulumi/pulumi ${sdk.version}, TypeScript ${typescript.version} (ts-node: Pulumi's vendored one), node ${process.version}${python};`,
        `${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? "?"}; load average ${avg(loadBefore)} before, ${avg(loadAfter)} after; qemu accel tcg.`,
        "",
      ].join("\n"),
    );
  } finally {
    progress("cleaning up");
    for (const stack of stacks) {
      await stack
        .destroy({ onOutput: quiet })
        .catch((e: unknown) => progress(`destroy failed: ${String(e)}`));
      await stack.workspace.removeStack(STACK).catch(() => undefined);
    }
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});

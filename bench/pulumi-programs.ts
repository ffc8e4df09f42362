/**
 * The user programs bench/pulumi-bench.ts measures, written into fresh
 * folders outside the repository as a user's project would be: the packed
 * library and `@pulumi/pulumi` installed with npm, plain JavaScript as
 * `pulumi new javascript` lays it out, TypeScript as `pulumi new
 * typescript` does (`typescript` and `@types/node` as dev dependencies, the
 * template's tsconfig.json, run by Pulumi through ts-node).
 */
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { npmInstall, repoVersion } from "../test/helpers/packed-library";
import { repoRoot } from "../test/helpers/paths";

/** `js`/`ts`: the dynamic resources of the packed library; `ts-plugin`/`python`: the provider plugin through the generated SDKs. */
export type Language = "js" | "ts" | "ts-plugin" | "python";

/** One program folder: a LocalMachine (an Image and a QemuVm), or nothing at all. */
export interface ProgramDir {
  language: Language;
  empty: boolean;
  dir: string;
}

const MACHINE_JS = `"use strict";
const pulumi = require("@pulumi/pulumi");
const { LocalMachine } = require("pulumi-linuxkit");

const config = new pulumi.Config();
const httpPort = config.requireNumber("httpPort");

const machine = new LocalMachine("demo", {
  image: { configFiles: ["linuxkit.yml"] },
  memoryMiB: 1024,
  forwards: [{ hostPort: httpPort, guestPort: 80 }],
  readiness: { consolePattern: "LINUXKIT-TEST: boot complete", tcpPort: 80, timeoutSeconds: 300 },
});

exports.contentHash = machine.contentHash;
exports.pid = machine.pid;
`;

const MACHINE_TS = `import * as pulumi from "@pulumi/pulumi";
import { LocalMachine } from "pulumi-linuxkit";

const config = new pulumi.Config();
const httpPort = config.requireNumber("httpPort");

const machine = new LocalMachine("demo", {
  image: { configFiles: ["linuxkit.yml"] },
  memoryMiB: 1024,
  forwards: [{ hostPort: httpPort, guestPort: 80 }],
  readiness: { consolePattern: "LINUXKIT-TEST: boot complete", tcpPort: 80, timeoutSeconds: 300 },
});

export const contentHash = machine.contentHash;
export const pid = machine.pid;
`;

// No resources: loads the Pulumi SDK and reads config as the programs above do.
const EMPTY_JS = `"use strict";
const pulumi = require("@pulumi/pulumi");

const config = new pulumi.Config();
exports.stack = config.get("unused") ?? pulumi.getStack();
`;

const EMPTY_TS = `import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
export const stack = config.get("unused") ?? pulumi.getStack();
`;

/** `pulumi new typescript`'s tsconfig.json. */
const TSCONFIG = {
  compilerOptions: {
    strict: true,
    outDir: "bin",
    target: "es2020",
    module: "commonjs",
    moduleResolution: "node",
    sourceMap: true,
    experimentalDecorators: true,
    pretty: true,
    noFallthroughCasesInSwitch: true,
    noImplicitReturns: true,
    forceConsistentCasingInFileNames: true,
  },
  files: ["index.ts"],
};

/** The version of `pkg` installed in this repository (the tests' and the library's). */
async function writeProgram(
  p: ProgramDir & { language: "js" | "ts" },
  tsVersions: Record<string, string>,
): Promise<void> {
  await mkdir(p.dir, { recursive: true });
  const name = `bench-${p.language}${p.empty ? "-empty" : ""}`;
  const main = p.language === "js" ? "index.js" : "index.ts";
  await writeFile(
    path.join(p.dir, "Pulumi.yaml"),
    `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    packagemanager: npm\n`,
  );
  const pkg: Record<string, unknown> = { name, main, private: true };
  if (p.language === "ts") {
    pkg.devDependencies = tsVersions;
    await writeFile(path.join(p.dir, "tsconfig.json"), `${JSON.stringify(TSCONFIG, null, 4)}\n`);
  }
  await writeFile(path.join(p.dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  const source = p.empty
    ? p.language === "js"
      ? EMPTY_JS
      : EMPTY_TS
    : p.language === "js"
      ? MACHINE_JS
      : MACHINE_TS;
  await writeFile(path.join(p.dir, main), source);
  if (!p.empty) {
    await copyFile(
      path.join(repoRoot, "examples", "qemu-local", "linuxkit.yml"),
      path.join(p.dir, "linuxkit.yml"),
    );
  }
}

/**
 * The four programs under `work`, each with its own node_modules: one npm
 * install per language (the tarball, `@pulumi/pulumi` at the version this
 * repository uses, and for TypeScript the dev dependencies), hard-linked
 * into the empty program's folder of the same language with the same
 * package.json dependencies.
 */
export async function makePrograms(work: string, tarball: string): Promise<ProgramDir[]> {
  const pulumiVersion = await repoVersion("@pulumi/pulumi");
  const tsVersions = {
    typescript: await repoVersion("typescript"),
    "@types/node": await repoVersion("@types/node"),
  };
  const programs: ProgramDir[] = [];
  for (const language of ["js", "ts"] as const) {
    const full = { language, empty: false, dir: path.join(work, language) };
    const empty = { language, empty: true, dir: path.join(work, `${language}-empty`) };
    await writeProgram(full, tsVersions);
    await writeProgram(empty, tsVersions);
    npmInstall(full.dir, [tarball, `@pulumi/pulumi@${pulumiVersion}`]);
    execFileSync("cp", ["-al", path.join(full.dir, "node_modules"), empty.dir]);
    // The same dependencies declared (Pulumi's language host reads them).
    const pkg = JSON.parse(await readFile(path.join(full.dir, "package.json"), "utf8")) as {
      name: string;
    };
    pkg.name = `${pkg.name}-empty`;
    await writeFile(path.join(empty.dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
    programs.push(full, empty);
  }
  return programs;
}

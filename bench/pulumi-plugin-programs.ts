/**
 * The programs bench/pulumi-bench.ts measures through the provider plugin
 * (`pulumi-resource-linuxkit`, installed from its tarball into a scratch
 * PULUMI_HOME as a user installs it): an Image feeding a `qemu.Vm`, and an
 * empty program of the same language, in TypeScript (the generated Node.js
 * SDK, sdk/nodejs, compiled and packed as Pulumi publishes its SDKs: the
 * compiled `bin/` with the package.json) and in Python (the generated
 * SDK, sdk/python, in the venv of scripts/install-python-sdk.sh).
 */
import { execFileSync } from "node:child_process";
import { copyFile, cp, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";

import { npmInstall, repoVersion } from "../test/helpers/packed-library";
import { repoRoot } from "../test/helpers/paths";
import type { ProgramDir } from "./pulumi-programs";

const VM_TS = `import * as pulumi from "@pulumi/pulumi";
import * as linuxkit from "@pulumi-linuxkit/linuxkit";

const config = new pulumi.Config();

const image = new linuxkit.Image("demo", { configFiles: ["linuxkit.yml"] });
const vm = new linuxkit.qemu.Vm("demo", {
  kernel: image.kernel,
  initrd: image.initrd,
  cmdline: image.cmdline,
  imageHash: image.contentHash,
  memoryMiB: 1024,
  forwards: [{ hostPort: config.requireNumber("httpPort"), guestPort: 80 }],
  readiness: { consolePattern: "LINUXKIT-TEST: boot complete", tcpPort: 80, timeoutSeconds: 300 },
});

export const contentHash = image.contentHash;
export const pid = vm.pid;
`;

const EMPTY_TS = `import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
export const stack = config.get("unused") ?? pulumi.getStack();
`;

const VM_PY = `import pulumi
import pulumi_linuxkit as linuxkit

config = pulumi.Config()
image = linuxkit.Image("demo", config_files=["linuxkit.yml"])
vm = linuxkit.qemu.Vm(
    "demo",
    kernel=image.kernel,
    initrd=image.initrd,
    cmdline=image.cmdline,
    image_hash=image.content_hash,
    forwards=[linuxkit.qemu.PortForwardArgs(host_port=config.require_int("httpPort"), guest_port=80)],
    readiness=linuxkit.qemu.ReadinessArgs(
        console_pattern="LINUXKIT-TEST: boot complete", tcp_port=80, timeout_seconds=300
    ),
)
pulumi.export("contentHash", image.content_hash)
pulumi.export("pid", vm.pid)
`;

const EMPTY_PY = `import pulumi

config = pulumi.Config()
pulumi.export("stack", config.get("unused") or pulumi.get_stack())
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

/** sdk/nodejs compiled (`bin/` plus its package.json, as Pulumi publishes SDKs) and packed; the tarball's path. */
export async function packNodeSdk(work: string): Promise<string> {
  const src = path.join(work, "sdk-nodejs");
  await cp(path.join(repoRoot, "sdk", "nodejs"), src, { recursive: true });
  await symlink(path.join(repoRoot, "node_modules"), path.join(src, "node_modules"), "dir");
  execFileSync(
    process.execPath,
    [path.join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", src],
    { stdio: "pipe" },
  );
  const bin = path.join(src, "bin");
  await copyFile(path.join(src, "package.json"), path.join(bin, "package.json"));
  const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], {
    cwd: bin,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop()!;
  await rm(src, { recursive: true, force: true });
  return path.join(work, name);
}

async function writeProgram(p: ProgramDir, language: "ts" | "python"): Promise<void> {
  await mkdir(p.dir, { recursive: true });
  const name = `bench-plugin-${language}${p.empty ? "-empty" : ""}`;
  if (language === "python") {
    await writeFile(path.join(p.dir, "Pulumi.yaml"), `name: ${name}\nruntime: python\n`);
    await writeFile(path.join(p.dir, "__main__.py"), p.empty ? EMPTY_PY : VM_PY);
  } else {
    await writeFile(
      path.join(p.dir, "Pulumi.yaml"),
      `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    packagemanager: npm\n`,
    );
    await writeFile(path.join(p.dir, "tsconfig.json"), `${JSON.stringify(TSCONFIG, null, 4)}\n`);
    await writeFile(path.join(p.dir, "index.ts"), p.empty ? EMPTY_TS : VM_TS);
  }
  if (!p.empty) {
    await copyFile(
      path.join(repoRoot, "examples", "qemu-local", "linuxkit.yml"),
      path.join(p.dir, "linuxkit.yml"),
    );
  }
}

/**
 * The TypeScript and Python programs under `work`: for TypeScript one npm
 * install (the packed Node.js SDK, `@pulumi/pulumi`, `typescript` and
 * `@types/node` at this repository's versions) hard-linked into the empty
 * program's folder with the same package.json, as the dynamic-resource
 * programs are.
 */
export async function makePluginPrograms(work: string): Promise<ProgramDir[]> {
  const programs: ProgramDir[] = [];
  for (const language of ["ts-plugin", "python"] as const) {
    const full: ProgramDir = { language, empty: false, dir: path.join(work, language) };
    const empty: ProgramDir = { language, empty: true, dir: path.join(work, `${language}-empty`) };
    const lang = language === "python" ? "python" : "ts";
    await writeProgram(full, lang);
    await writeProgram(empty, lang);
    programs.push(full, empty);
  }
  const ts = programs.filter((p) => p.language === "ts-plugin");
  const [full, empty] = [ts.find((p) => !p.empty)!, ts.find((p) => p.empty)!];
  const pkg = {
    name: "bench-plugin-ts",
    main: "index.ts",
    private: true,
    devDependencies: {
      typescript: await repoVersion("typescript"),
      "@types/node": await repoVersion("@types/node"),
    },
  };
  await writeFile(path.join(full.dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  npmInstall(full.dir, [
    await packNodeSdk(work),
    `@pulumi/pulumi@${await repoVersion("@pulumi/pulumi")}`,
  ]);
  execFileSync("cp", ["-al", path.join(full.dir, "node_modules"), empty.dir]);
  const installed = JSON.parse(await readFile(path.join(full.dir, "package.json"), "utf8")) as {
    name: string;
  };
  installed.name = `${installed.name}-empty`;
  await writeFile(path.join(empty.dir, "package.json"), `${JSON.stringify(installed, null, 2)}\n`);
  return programs;
}

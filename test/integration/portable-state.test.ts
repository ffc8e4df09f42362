/**
 * State is not tied to one checkout. A user installs the packed library
 * (`npm pack`) into their own Pulumi project, runs `pulumi up` in folder A,
 * the project is copied to folder B (a second clone, a CI runner, a
 * teammate's laptop) and A is removed. From B: `preview` changes nothing,
 * `refresh` keeps everything, state names neither folder, and `destroy`
 * stops the VM and removes the artifacts.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";

import { processStartTime } from "../../components/qemu/process-identity";
import { qemuPidsMentioning } from "../helpers/boot";
import { npmInstall, packLibrary, repoVersion } from "../helpers/packed-library";
import { repoRoot } from "../helpers/paths";
import { pulumiCommand, pulumiEnv } from "../helpers/pulumi-env";

const STACK = "portable";

const PROGRAM = `"use strict";
const { LocalMachine } = require("pulumi-linuxkit");

const machine = new LocalMachine("port", {
  image: { configFiles: ["linuxkit.yml"] },
  memoryMiB: 512,
  readiness: { consolePattern: "LINUXKIT-TEST: boot complete", timeoutSeconds: 300 },
});
exports.contentHash = machine.contentHash;
exports.pid = machine.pid;
exports.consoleLog = machine.consoleLog;
`;

let work: string;
let folderA: string;
let folderB: string;
let state: string;

function ignore(): void {
  /* the summaries are checked */
}

/** A stack of the program in `dir`, on the shared file backend, as `pulumi` in that folder. */
async function stackIn(dir: string): Promise<Stack> {
  const env = pulumiEnv(state);
  // Nothing but the program's own node_modules: the packed install must stand alone.
  delete (env as Record<string, string | undefined>).NODE_PATH;
  return LocalWorkspace.createOrSelectStack(
    { stackName: STACK, workDir: dir },
    { envVars: env, pulumiCommand: await pulumiCommand() },
  );
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-portable-"));
  folderA = path.join(work, "checkout-a");
  folderB = path.join(work, "checkout-b");
  state = path.join(work, "state");
  await mkdir(folderA, { recursive: true });
  await mkdir(state);
  const tarball = packLibrary(work);
  const pulumiVersion = await repoVersion("@pulumi/pulumi");
  await writeFile(
    path.join(folderA, "Pulumi.yaml"),
    "name: portable\nruntime: nodejs\nmain: index.js\n",
  );
  await writeFile(
    path.join(folderA, "package.json"),
    JSON.stringify({ name: "portable", private: true }, null, 2),
  );
  await writeFile(path.join(folderA, "index.js"), PROGRAM);
  // The example's YAML plus a file read from a relative `source`.
  const yaml = await readFile(
    path.join(repoRoot, "examples", "qemu-local", "linuxkit.yml"),
    "utf8",
  );
  await writeFile(
    path.join(folderA, "linuxkit.yml"),
    `${yaml}\n  - path: etc/motd\n    source: motd.txt\n    mode: "0644"\n`,
  );
  await writeFile(path.join(folderA, "motd.txt"), "built from a relative source\n");
  npmInstall(folderA, [tarball, `@pulumi/pulumi@${pulumiVersion}`]);
});

after(async () => {
  for (const dir of [folderB, folderA]) {
    if (!existsSync(path.join(dir, "Pulumi.yaml"))) continue;
    const stack = await stackIn(dir).catch(() => undefined);
    await stack?.destroy({ onOutput: ignore }).catch(() => undefined);
  }
  for (const pid of qemuPidsMentioning(work)) process.kill(pid, "SIGKILL");
  await rm(work, { recursive: true, force: true });
});

describe("state written in one checkout works from another", { concurrency: false }, () => {
  let pid: number;
  let contentHash: string;

  it("up in checkout A builds and boots from the packed, installed library", async () => {
    const stack = await stackIn(folderA);
    const result = await stack.up({ onOutput: ignore });
    assert.equal(result.summary.result, "succeeded");
    pid = result.outputs.pid?.value as number;
    contentHash = result.outputs.contentHash?.value as string;
    assert.ok(processStartTime(pid) !== undefined, "qemu runs");
    const consoleLog = result.outputs.consoleLog?.value as string;
    assert.equal(path.isAbsolute(consoleLog), false, "paths are reported relative to the program");
    assert.match(await readFile(path.join(folderA, consoleLog), "utf8"), /boot complete/);
  });

  it("copied to checkout B with A removed, preview changes nothing", async () => {
    // A copy as a second clone would have it: program, YAML, stack settings,
    // installed packages and the built artifacts; A disappears.
    await cp(folderA, folderB, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => !src.endsWith(".sock"),
    });
    await rm(folderA, { recursive: true, force: true });
    const stack = await stackIn(folderB);
    const preview = await stack.preview({
      onOutput: process.env.LK_DEBUG ? (s) => process.stderr.write(s) : ignore,
      diff: !!process.env.LK_DEBUG,
    });
    assert.deepEqual(
      Object.keys(preview.changeSummary).filter((k) => k !== "same"),
      [],
      `no change expected: ${JSON.stringify(preview.changeSummary)}`,
    );
  });

  it("refresh from B keeps the image and the running VM", async () => {
    const stack = await stackIn(folderB);
    const refreshed = await stack.refresh({
      onOutput: process.env.LK_DEBUG ? (s) => process.stderr.write(s) : ignore,
    });
    assert.deepEqual(
      Object.keys(refreshed.summary.resourceChanges ?? {}).filter((k) => k !== "same"),
      [],
      JSON.stringify(refreshed.summary.resourceChanges),
    );
    const outputs = await stack.outputs();
    assert.equal(outputs.pid?.value, pid);
    assert.equal(outputs.contentHash?.value, contentHash);
    const up = await stack.up({ onOutput: ignore });
    assert.deepEqual(
      Object.keys(up.summary.resourceChanges ?? {}).filter((k) => k !== "same"),
      [],
      `a following up changes nothing either: ${JSON.stringify(up.summary.resourceChanges)}`,
    );
  });

  it("state names neither checkout's folder", async () => {
    const stack = await stackIn(folderB);
    const exported = JSON.stringify(await stack.exportStack());
    assert.equal(exported.includes(folderA), false, "no path of checkout A in state");
    assert.equal(exported.includes(folderB), false, "no path of checkout B in state");
    assert.equal(exported.includes(repoRoot), false, "no path of the library's source checkout");
  });

  it("destroy from B stops the VM and removes the artifacts", async () => {
    const stack = await stackIn(folderB);
    await stack.destroy({ onOutput: ignore });
    for (let i = 0; i < 50 && processStartTime(pid) !== undefined; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(processStartTime(pid), undefined, "qemu stopped");
    const images = path.join(folderB, ".linuxkit", "images");
    assert.deepEqual(existsSync(images) ? await readdir(images) : [], [], "no artifacts left");
  });
});

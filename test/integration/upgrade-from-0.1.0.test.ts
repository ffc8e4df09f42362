/**
 * A stack created with 0.1.0 upgrades in place. 0.1.0 is packed from git
 * history (test/helpers/packed-release.ts says which commit and why) and
 * installed into a scratch project outside the repository; its
 * LocalMachine (an Image and a QemuVm, dynamic resources) is brought up
 * with the real engine on a local file backend. Then the current package
 * is packed and installed over it, and ONE `pulumi up` runs: no resource
 * is created, replaced, updated or deleted, the qemu process is the same
 * one (pid and start time), and the image's artifacts are the same files
 * (sha256 and mtime). Destroy with the current package stops the VM and
 * removes the artifacts.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { LocalWorkspace, type OpType, type Stack } from "@pulumi/pulumi/automation";

import { processStartTime } from "../../components/qemu/process-identity";
import { qemuPidsMentioning } from "../helpers/boot";
import { npmInstall, packLibrary } from "../helpers/packed-library";
import { packRelease, RELEASE_0_1_0 } from "../helpers/packed-release";
import { repoRoot } from "../helpers/paths";
import { pulumiCommand, pulumiEnv } from "../helpers/pulumi-env";

/** The program as 0.1.0's README wrote it; it does not change across the upgrade. */
const PROGRAM = `"use strict";
const { LocalMachine } = require("pulumi-linuxkit");

const machine = new LocalMachine("up", {
  image: { configFiles: ["linuxkit.yml"] },
  memoryMiB: 512,
  readiness: { consolePattern: "LINUXKIT-TEST: boot complete", timeoutSeconds: 300 },
});
exports.contentHash = machine.contentHash;
exports.pid = machine.pid;
`;

/** The @pulumi/pulumi 0.1.0 pinned (its package.json: "3.259.0"). */
const RELEASE_PULUMI = "@pulumi/pulumi@3.259.0";

let work: string;
let project: string;
let stack: Stack;
let newTarball: string;
/** Everything the engine printed, shown when an assertion fails. */
let printed = "";

const record = (s: string): void => {
  printed += s;
  if (process.env.LK_DEBUG) process.stderr.write(s);
};

/** Every file of the image's artifact folder: path → sha256 and mtime. */
async function artifacts(
  dir: string,
): Promise<Record<string, { sha256: string; mtimeMs: number }>> {
  const out: Record<string, { sha256: string; mtimeMs: number }> = {};
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    const file = path.join(dir, name);
    const st = await stat(file);
    if (!st.isFile()) continue;
    const sha256 = createHash("sha256")
      .update(await readFile(file))
      .digest("hex");
    out[name] = { sha256, mtimeMs: st.mtimeMs };
  }
  return out;
}

/** The Image resource's artifact folder, as recorded in state (relative to the program). */
async function artifactDir(): Promise<string> {
  const state = await stack.exportStack();
  const resources = state.deployment.resources as {
    type: string;
    outputs?: { artifactDir?: string };
  }[];
  const image = resources.find((r) => r.type === "pulumi-nodejs:dynamic/linuxkit:Image");
  assert.ok(image?.outputs?.artifactDir, "an Image in state");
  return path.resolve(project, image.outputs.artifactDir);
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-upgrade-"));
  project = path.join(work, "project");
  await mkdir(project);
  await mkdir(path.join(work, "state"));
  const oldTarball = await packRelease(RELEASE_0_1_0, work);
  newTarball = packLibrary(work);
  await writeFile(
    path.join(project, "Pulumi.yaml"),
    "name: upgrade\nruntime: nodejs\nmain: index.js\n",
  );
  await writeFile(
    path.join(project, "package.json"),
    JSON.stringify({ name: "upgrade", private: true }),
  );
  await writeFile(path.join(project, "index.js"), PROGRAM);
  // 0.1.0's own example YAML, as a user of that release had it.
  const yaml = execFileSync("git", ["show", `${RELEASE_0_1_0}:examples/qemu-local/linuxkit.yml`], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  await writeFile(path.join(project, "linuxkit.yml"), yaml);
  npmInstall(project, [oldTarball, RELEASE_PULUMI]);
  const env = pulumiEnv(path.join(work, "state"));
  // The project's own node_modules only: nothing of this checkout.
  delete (env as Record<string, string | undefined>).NODE_PATH;
  stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "dev", workDir: project },
    { envVars: env, pulumiCommand: await pulumiCommand() },
  );
});

after(async () => {
  await stack?.destroy({ onOutput: record }).catch(() => undefined);
  for (const pid of qemuPidsMentioning(work)) process.kill(pid, "SIGKILL");
  await rm(work, { recursive: true, force: true });
});

describe("a stack of 0.1.0 upgrades to this version with one up", { concurrency: false }, () => {
  let pid: number;
  let startTime: number | undefined;
  let contentHash: string;
  let before0: Awaited<ReturnType<typeof artifacts>>;
  let dir: string;

  it("0.1.0, packed from git history, builds the image and boots the VM", async () => {
    const installed = path.join(project, "node_modules", "pulumi-linuxkit");
    // 0.1.0 had components/pulumi/dynamic.ts; the dynamic/ folder came later.
    assert.ok(
      existsSync(path.join(installed, "dist/components/pulumi/dynamic.js")),
      "0.1.0 installed",
    );
    const result = await stack.up({ onOutput: record });
    assert.equal(result.summary.result, "succeeded");
    pid = result.outputs.pid?.value as number;
    contentHash = result.outputs.contentHash?.value as string;
    startTime = processStartTime(pid);
    assert.ok(startTime !== undefined, "qemu runs");
    dir = await artifactDir();
    before0 = await artifacts(dir);
    assert.ok(
      Object.keys(before0).some((f) => f.endsWith("-initrd.img")),
      JSON.stringify(before0),
    );
  });

  it("with the current package installed over it, one up changes nothing: same qemu, same artifacts", async () => {
    npmInstall(project, [newTarball]);
    const installed = path.join(project, "node_modules", "pulumi-linuxkit");
    assert.ok(
      existsSync(path.join(installed, "dist/components/pulumi/dynamic/dynamic.js")),
      "the current package installed",
    );
    printed = "";
    const ops: { op: OpType; urn: string }[] = [];
    const result = await stack.up({
      diff: true,
      onOutput: record,
      onEvent: (e) => {
        const m = e.resourcePreEvent?.metadata;
        if (m) ops.push({ op: m.op, urn: m.urn });
      },
    });
    assert.equal(result.summary.result, "succeeded");
    const changed = ops.filter((o) => o.op !== "same");
    assert.deepEqual(changed, [], `the up changed resources:\n${printed}`);
    assert.deepEqual(
      Object.keys(result.summary.resourceChanges ?? {}),
      ["same"],
      `summary: ${JSON.stringify(result.summary.resourceChanges)}\n${printed}`,
    );
    assert.equal(result.outputs.pid?.value, pid, "the VM's pid");
    assert.equal(processStartTime(pid), startTime, "the same qemu process, never restarted");
    assert.equal(result.outputs.contentHash?.value, contentHash);
    assert.equal(await artifactDir(), dir);
    assert.deepEqual(await artifacts(dir), before0, "artifacts neither rebuilt nor touched");
  });

  it("destroy with the current package stops the VM and removes the artifacts", async () => {
    await stack.destroy({ onOutput: record });
    for (let i = 0; i < 50 && processStartTime(pid) !== undefined; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(processStartTime(pid), undefined, "qemu stopped");
    assert.equal(existsSync(dir), false, "artifact folder removed");
  });
});

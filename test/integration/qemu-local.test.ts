/**
 * The product's heart under the real Pulumi engine: `pulumi up` of
 * examples/qemu-local builds the LinuxKit image and boots it under qemu,
 * a second `up` changes nothing, a YAML change rebuilds and replaces the
 * VM, a VM killed by hand is noticed by `refresh` and recreated by `up`, a
 * YAML error fails `preview` naming the field, and `destroy` leaves no
 * qemu process, no VM state and no artifacts.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { Stack } from "@pulumi/pulumi/automation";

import { isSameProcess, processStartTime } from "../../components/qemu/process-identity";
import { qemuPidsMentioning } from "../helpers/boot";
import { repoRoot } from "../helpers/paths";
import { folderStack } from "../helpers/pulumi-env";

const EXAMPLE = path.join(repoRoot, "examples", "qemu-local");
const STACK = `itest${process.pid}`;

let work: string;
let stack: Stack;
let yamlFile: string;
let httpPort: number;

function ignore(): void {
  /* output is checked through the summary */
}

async function outputs(): Promise<{ pid: number; contentHash: string; consoleLog: string }> {
  const o = await stack.outputs();
  return {
    pid: o.pid?.value as number,
    contentHash: o.contentHash?.value as string,
    consoleLog: o.consoleLog?.value as string,
  };
}

async function httpGet(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
  return res.text();
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-itest-"));
  yamlFile = path.join(work, "linuxkit.yml");
  await copyFile(path.join(EXAMPLE, "linuxkit.yml"), yamlFile);
  httpPort = 20000 + (process.pid % 20000);
  stack = await folderStack(EXAMPLE, STACK, path.join(work, "state"));
  await stack.setAllConfig({
    yamlFile: { value: yamlFile },
    workDir: { value: path.join(work, "lk") },
    httpPort: { value: String(httpPort) },
  });
});

after(async () => {
  await stack?.destroy({ onOutput: ignore }).catch(() => undefined);
  await stack?.workspace.removeStack(STACK).catch(() => undefined);
  await rm(path.join(EXAMPLE, `Pulumi.${STACK}.yaml`), { force: true });
  await rm(work, { recursive: true, force: true });
});

describe("pulumi up/preview/refresh/destroy on examples/qemu-local", { concurrency: false }, () => {
  it("a YAML error fails preview with the field named", async () => {
    const broken = path.join(work, "broken.yml");
    await writeFile(
      broken,
      (await readFile(yamlFile, "utf8")).replace("CAP_SYS_ADMIN", "CAP_SYS_ADMIM"),
    );
    await stack.setConfig("yamlFile", { value: broken });
    await assert.rejects(stack.preview({ onOutput: ignore }), (e: Error) => {
      assert.match(e.message, /broken\.yml:\d+:\d+/);
      assert.match(e.message, /onboot\[0\].*capabilities/);
      assert.match(e.message, /CAP_SYS_ADMIM/);
      return true;
    });
    await stack.setConfig("yamlFile", { value: yamlFile });
  });

  it("up builds the image and boots it: console marker seen, HTTP answered through the forward", async () => {
    const result = await stack.up({ onOutput: ignore });
    assert.equal(result.summary.result, "succeeded");
    assert.equal(result.summary.resourceChanges?.create, 4);
    const o = await outputs();
    assert.ok(processStartTime(o.pid) !== undefined, "qemu runs after up returned");
    assert.match(await readFile(o.consoleLog, "utf8"), /LINUXKIT-TEST: boot complete/);
    assert.match(await httpGet(httpPort), /linuxkit-test httpd says hello/);
  });

  it("a second up with no change reports no changes and builds nothing", async () => {
    const before = await outputs();
    const images = path.join(work, "lk", "images");
    const [dir] = await readdir(images);
    const manifestBefore = await stat(path.join(images, dir!, ".demo.linuxkit-build.json"));
    const result = await stack.up({ onOutput: ignore });
    const changes = result.summary.resourceChanges ?? {};
    assert.deepEqual(
      Object.keys(changes).filter((k) => k !== "same"),
      [],
      JSON.stringify(changes),
    );
    const after = await outputs();
    assert.equal(after.pid, before.pid, "the VM was left alone");
    const manifestAfter = await stat(path.join(images, dir!, ".demo.linuxkit-build.json"));
    assert.equal(manifestAfter.mtimeMs, manifestBefore.mtimeMs, "no build ran");
  });

  it("a YAML change rebuilds the image and replaces the VM", async () => {
    const before = await outputs();
    await writeFile(
      yamlFile,
      (await readFile(yamlFile, "utf8")).replace('{"debug": true}', '{"debug": false}'),
    );
    const preview = await stack.preview({ onOutput: ignore });
    assert.equal(preview.changeSummary.replace, 2, JSON.stringify(preview.changeSummary));
    const result = await stack.up({ onOutput: ignore });
    assert.equal(
      result.summary.resourceChanges?.replace,
      2,
      JSON.stringify(result.summary.resourceChanges),
    );
    const after = await outputs();
    assert.notEqual(after.contentHash, before.contentHash);
    assert.notEqual(after.pid, before.pid);
    assert.equal(
      qemuPidsMentioning(before.consoleLog.replace(/\/console\.log$/, "")).length,
      0,
      "the old VM is gone",
    );
    assert.equal(existsSync(before.consoleLog), false, "the old VM's state folder is gone");
    assert.equal(
      (await readdir(path.join(work, "lk", "images"))).length,
      1,
      "only the new image's artifacts remain",
    );
    assert.match(await readFile(after.consoleLog, "utf8"), /LINUXKIT-TEST: boot complete/);
  });

  it("a VM killed by hand is noticed by refresh and recreated by up", async () => {
    const before = await outputs();
    process.kill(before.pid, "SIGKILL");
    for (let i = 0; i < 50 && processStartTime(before.pid) !== undefined; i++)
      await new Promise((r) => setTimeout(r, 100));
    const refreshed = await stack.refresh({ onOutput: ignore });
    assert.equal(
      refreshed.summary.resourceChanges?.delete,
      1,
      JSON.stringify(refreshed.summary.resourceChanges),
    );
    const result = await stack.up({ onOutput: ignore });
    assert.equal(
      result.summary.resourceChanges?.create,
      1,
      JSON.stringify(result.summary.resourceChanges),
    );
    const after = await outputs();
    assert.notEqual(after.pid, before.pid);
    assert.ok(
      isSameProcess(
        { pid: after.pid, startTime: processStartTime(after.pid)! },
        "pulumi-linuxkit-",
      ),
    );
    assert.match(await readFile(after.consoleLog, "utf8"), /LINUXKIT-TEST: boot complete/);
  });

  it("destroy leaves no qemu process, no VM state and no artifacts", async () => {
    const before = await outputs();
    await stack.destroy({ onOutput: ignore });
    assert.equal(processStartTime(before.pid), undefined, "qemu stopped");
    assert.deepEqual(qemuPidsMentioning(path.join(work, "lk")), []);
    assert.equal(existsSync(path.join(work, "lk", "vms")), false, "no VM state");
    assert.equal(existsSync(path.join(work, "lk", "images")), false, "no artifacts");
  });
});

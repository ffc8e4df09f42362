import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import {
  createScratchDir,
  removeActiveScratchDirsSync,
  removeScratchDir,
} from "../../../components/pipeline/scratch-dir";

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.on("exit", r));
  assert.ok(child.pid !== undefined);
  return child.pid;
}

const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    () => false,
  );

describe("createScratchDir", () => {
  let out = "";
  beforeEach(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), "lk-scratch-"));
  });
  afterEach(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("makes a fresh directory in the output directory named after this process", async () => {
    const a = await createScratchDir(out);
    const b = await createScratchDir(out);
    assert.notEqual(a, b);
    assert.equal(path.dirname(a), out, "same filesystem as the outputs: renames stay atomic");
    assert.match(path.basename(a), new RegExp(`^\\.linuxkit-tmp-${process.pid}-`));
    assert.ok((await stat(a)).isDirectory());
  });

  it("removes the leftover of a build whose process died, and keeps those of live processes", async () => {
    const dead = await deadPid();
    const deadDir = path.join(out, `.linuxkit-tmp-${dead}-abc123`);
    const liveDir = path.join(out, `.linuxkit-tmp-${process.ppid}-def456`);
    const pid1Dir = path.join(out, ".linuxkit-tmp-1-init");
    const ownDir = path.join(out, `.linuxkit-tmp-${process.pid}-mine`);
    for (const d of [deadDir, liveDir, pid1Dir, ownDir]) {
      await mkdir(d);
      await writeFile(path.join(d, "partial.iso"), "x");
    }
    await createScratchDir(out);
    assert.equal(await exists(deadDir), false, "dead process's leftover removed");
    assert.equal(await exists(liveDir), true, "parent process is alive");
    assert.equal(await exists(pid1Dir), true, "pid 1 is alive");
    assert.equal(await exists(ownDir), true, "this process's own directories are kept");
  });

  it("leaves everything else in the output directory alone", async () => {
    const dead = await deadPid();
    const keep = [
      "web-kernel",
      ".web.linuxkit-build.json",
      ".linuxkit-tmp-notapid",
      `linuxkit-tmp-${dead}-x`,
    ];
    for (const k of keep) await writeFile(path.join(out, k), "keep");
    await createScratchDir(out);
    const left = await readdir(out);
    for (const k of keep) assert.ok(left.includes(k), k);
  });

  it("removeScratchDir removes one; removeActiveScratchDirsSync removes the rest of this process's", async () => {
    const a = await createScratchDir(out);
    const b = await createScratchDir(out);
    const c = await createScratchDir(out);
    await writeFile(path.join(b, "partial"), "x");
    await removeScratchDir(a);
    assert.equal(await exists(a), false);
    removeActiveScratchDirsSync();
    assert.equal(await exists(b), false);
    assert.equal(await exists(c), false);
  });
});

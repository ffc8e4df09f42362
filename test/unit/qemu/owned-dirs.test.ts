/**
 * Destroy never deletes a folder just because state names it (issue 19,
 * finding 10): a VM or fleet whose recorded folder was pointed at someone
 * else's folder (a tampered shared state) removes only the files a VM or
 * fleet folder holds, and leaves everything else in place.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import { stopDetachedVm } from "../../../components/qemu/detached-vm";
import { qemuFleetProvider } from "../../../components/pulumi/fleet/qemu-fleet-provider";
import { fleetDefaults } from "../../../components/pulumi/fleet/qemu-fleet-inputs";

async function precious(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "lk-precious-"));
  await writeFile(path.join(dir, "thesis.tex"), "years of work");
  await mkdir(path.join(dir, "m-000000000000"));
  await writeFile(path.join(dir, "m-000000000000", "notes.txt"), "more work");
  await writeFile(path.join(dir, "console.log"), "");
  return dir;
}

describe("folders named by state", () => {
  it("a VM whose vmDir was tampered with leaves the folder's own files", async () => {
    const dir = await precious();
    await stopDetachedVm(
      { pid: 999_999_99, startTime: 1, instanceId: "aaaaaaaaaaaa", vmDir: dir },
      0,
    ).catch(() => undefined);
    const left = await readdir(dir);
    assert.ok(left.includes("thesis.tex"), left.join(","));
    assert.ok(left.includes("m-000000000000"));
  });

  it("a fleet whose fleetDir was tampered with leaves what it did not make", async () => {
    const dir = await precious();
    const inputs = fleetDefaults({
      name: "web",
      kernel: "k",
      initrd: "i",
      imageHash: "h",
      size: 0,
      stateDir: path.dirname(dir),
    });
    await qemuFleetProvider.delete("x", {
      ...inputs,
      fleetId: "x",
      fleetDir: dir,
      status: "converged",
      machines: [],
      fleetState: { slots: [] },
    });
    const left = (await readdir(dir)).sort();
    assert.deepEqual(left, ["console.log", "m-000000000000", "thesis.tex"]);
    assert.deepEqual(await readdir(path.join(dir, "m-000000000000")), ["notes.txt"]);
  });
});

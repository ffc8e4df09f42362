/**
 * No qemu outlives the record of it (issue 19, finding 7).
 *
 * - A qemu that does not report its start in time may have daemonized
 *   anyway: it used to keep running after its folder was deleted. Now it is
 *   found by its `-name` marker (through /proc, not a pidfile) and killed
 *   before the folder goes.
 * - A fleet start journaled as starting (the run died before recording the
 *   machine) is stopped and its folder removed by the qemu adapter's
 *   `recoverStarting`, which finds the qemu by the journaled instance id.
 *
 * qemu here is a stand-in script on PATH that daemonizes a process
 * carrying the marker, writes the pidfile, and then never reports
 * success, as a qemu stuck in its start would; no guest is booted.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { qemuFleetAdapter } from "../../../components/fleet/adapters/qemu-adapter";
import { vmMarker } from "../../../components/qemu/detached-vm";
import { processesWithMarker } from "../../../components/qemu/process-identity";
import { launchVm } from "../../../components/qemu/vm-process";
import { waitUntil } from "../../helpers/wait";

/** A qemu-system-x86_64 that daemonizes and then hangs instead of exiting. */
const STUCK_QEMU = `#!/bin/bash
while [ $# -gt 0 ]; do
  case "$1" in
    -pidfile) pidfile="$2"; shift ;;
    -name) name="$2"; shift ;;
  esac
  shift
done
setsid bash -c 'exec -a "qemu-stand-in -name $1" sleep 300' _ "$name" </dev/null >/dev/null 2>&1 &
echo $! > "$pidfile"
exec sleep 300
`;

const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    () => false,
  );

describe("qemu processes left by a start", () => {
  let work = "";
  let savedPath: string | undefined;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "lk-start-orphans-"));
    const bin = path.join(work, "bin");
    await mkdir(bin);
    await writeFile(path.join(bin, "qemu-system-x86_64"), STUCK_QEMU);
    await chmod(path.join(bin, "qemu-system-x86_64"), 0o755);
    savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath ?? ""}`;
  });
  after(async () => {
    process.env.PATH = savedPath;
    for (const marker of ["pulumi-linuxkit-0123456789ab", "pulumi-linuxkit-ba9876543210"]) {
      for (const p of processesWithMarker(marker)) process.kill(p.pid, "SIGKILL");
    }
    await rm(work, { recursive: true, force: true });
  });

  it("a start that times out kills the qemu that daemonized before removing its folder", async () => {
    const vmDir = path.join(work, "vm-0123456789ab");
    const marker = vmMarker("0123456789ab");
    await assert.rejects(
      launchVm({
        vmDir,
        marker,
        media: { kind: "kernel+initrd", kernel: "/k", initrd: "/i", cmdline: "console=ttyS0" },
        accel: "tcg",
        memoryMiB: 128,
        cpus: 1,
        forwards: [],
        startTimeoutMs: 1500,
      }),
      /qemu failed to start: no answer within 1.5 s/,
    );
    assert.deepEqual(processesWithMarker(marker), [], "no qemu left running");
    assert.equal(await exists(vmDir), false, "its folder is gone");
  });

  it("a fleet start journaled as starting is found by its instance id and stopped", async () => {
    const fleetDir = path.join(work, "fleet");
    const instanceId = "ba9876543210";
    const vmDir = path.join(fleetDir, `m-${instanceId}`);
    await mkdir(vmDir, { recursive: true });
    await writeFile(path.join(vmDir, "console.log"), "");
    // What the crashed run left: a daemonized qemu, its pidfile, no record in any state.
    const qemu = spawn(
      "bash",
      ["-c", `exec -a "qemu-stand-in -name ${vmMarker(instanceId)}" sleep 300`],
      { detached: true, stdio: "ignore" },
    );
    qemu.unref();
    await writeFile(path.join(vmDir, "qemu.pid"), `${qemu.pid}\n`);
    await waitUntil(() => processesWithMarker(vmMarker(instanceId)).length === 1, {
      what: "the stand-in qemu to run",
    });
    const adapter = qemuFleetAdapter({
      name: "web",
      fleetDir,
      media: { kind: "kernel+initrd", kernel: "/k", initrd: "/i", cmdline: "" },
      imageHash: "h",
      size: 1,
      memoryMiB: 128,
      cpus: 1,
      accel: "tcg",
      forwards: [],
      health: { consolePattern: "x", timeoutSeconds: 1 },
      shutdownTimeoutSeconds: 0,
    });
    await adapter.recoverStarting!({ instanceId });
    assert.deepEqual(processesWithMarker(vmMarker(instanceId)), [], "no qemu left running");
    assert.equal(await exists(vmDir), false, "its folder is gone");
    assert.ok(await exists(fleetDir), "the fleet's folder stays");
  });
});

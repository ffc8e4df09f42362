/**
 * Paths with commas reach qemu intact (issue 19, finding 11). qemu reads
 * `-drive` and `-qmp` as comma-separated option lists, so a project folder
 * named `a,b` broke the VM's QMP socket option, and one named
 * `x,snapshot=on` slipped an option of its own into `-drive`.
 *
 * 1. A detached VM boots from a folder whose name holds commas: its
 *    kernel, initrd, console, pidfile and QMP socket all live there; the
 *    guest's console shows its command line and QMP answers on the socket
 *    at the exact path.
 * 2. qemu, started paused (no boot), reads a disk from such a folder: QMP
 *    `query-block` names exactly that file, and the folder's `snapshot=on`
 *    did not become an option.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import {
  startDetachedVm,
  stopDetachedVm,
  type DetachedVm,
} from "../../components/qemu/detached-vm";
import { buildQemuArgs } from "../../components/qemu/qemu-args";
import { qmpCommands } from "../../components/qemu/qmp-client";
import { bootSkipReason, hostKernel } from "../helpers/formats/disk-boot";
import { waitUntil } from "../helpers/wait";

describe("paths with commas", async () => {
  const skip = await bootSkipReason();
  let work: string;
  let dir: string;
  let vm: DetachedVm | undefined;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "lk-comma-"));
    dir = path.join(work, "a,b", "x,snapshot=on");
    await mkdir(dir, { recursive: true });
  });
  after(async () => {
    if (vm !== undefined) await stopDetachedVm(vm, 0);
    await rm(work, { recursive: true, force: true });
  });

  it("a detached VM boots from a folder whose name holds commas", { skip }, async () => {
    const kernel = path.join(dir, "kernel");
    await copyFile((await hostKernel())!, kernel);
    const initrd = path.join(dir, "initrd.img");
    await writeFile(initrd, Buffer.alloc(0));
    vm = await startDetachedVm({
      parentDir: dir,
      prefix: "vm",
      media: { kind: "kernel+initrd", kernel, initrd, cmdline: "console=ttyS0 panic=-1 lk=comma" },
      accel: "tcg",
      memoryMiB: 256,
      cpus: 1,
      forwards: [],
    });
    assert.ok((await stat(vm.qmpSocket)).isSocket(), `QMP socket at ${vm.qmpSocket}`);
    const [status] = await qmpCommands(vm.qmpSocket, ["query-status"]);
    assert.equal((status as { return?: { running?: boolean } }).return?.running, true);
    const consoleLog = vm.consoleLog;
    await waitUntil(
      async () =>
        /Command line: .*lk=comma/.test(await readFile(consoleLog, "utf8").catch(() => "")),
      { timeoutMs: 60_000, everyMs: 250, what: "the kernel's command line on the console" },
    );
  });

  it(
    "qemu opens a disk in such a folder, and the folder's name adds no option",
    { skip },
    async () => {
      const disk = path.join(dir, "disk.raw");
      await writeFile(disk, Buffer.alloc(1 << 20));
      const qmpSocket = path.join(dir, "paused.sock");
      const args = buildQemuArgs({
        media: { kind: "disk", path: disk, format: "raw" },
        accel: "tcg",
        console: { kind: "file", path: path.join(dir, "paused.log") },
        qmpSocket,
        networking: "none",
      });
      const qemu = spawn("qemu-system-x86_64", ["-S", "-display", "none", ...args], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      qemu.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => qemu.once("exit", (code) => r(code)));
      try {
        await waitUntil(
          async () => {
            if (qemu.exitCode !== null) throw new Error(`qemu exited: ${stderr}`);
            return (await stat(qmpSocket).catch(() => undefined))?.isSocket() === true;
          },
          { timeoutMs: 20_000, what: "qemu's QMP socket" },
        );
        const [blocks] = await qmpCommands(qmpSocket, ["query-block"]);
        const devices = (blocks as { return: { inserted?: { file: string; ro: boolean } }[] })
          .return;
        const inserted = devices.flatMap((d) => (d.inserted ? [d.inserted] : []));
        assert.equal(inserted.length, 1, JSON.stringify(devices));
        assert.equal(inserted[0]!.file, disk);
        await qmpCommands(qmpSocket, ["quit"]);
      } finally {
        qemu.kill("SIGKILL");
        await exited;
      }
    },
  );
});

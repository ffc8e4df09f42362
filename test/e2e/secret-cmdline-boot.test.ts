/**
 * A secret kernel command line reaches the guest but not `ps`, nor
 * qemu.args.json (issue 19, finding 6): a detached VM boots the host's
 * kernel with a command line holding a marker; the guest's console shows
 * the marker in `Command line:`, while qemu's argument list (/proc/<pid>/
 * cmdline, what `ps` prints) and qemu.args.json do not hold it, and the
 * file qemu reads it from is 0600.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import {
  startDetachedVm,
  stopDetachedVm,
  type DetachedVm,
} from "../../components/qemu/detached-vm";
import { MACHINE_CONFIG_FILE } from "../../components/qemu/vm-process";
import { bootSkipReason, hostKernel } from "../helpers/formats/disk-boot";

const SECRET = `s3cret-${randomBytes(8).toString("hex")}`;

describe("a secret kernel command line", async () => {
  const skip = await bootSkipReason();
  let work: string;
  let vm: DetachedVm | undefined;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "lk-secret-cmdline-"));
  });
  after(async () => {
    if (vm !== undefined) await stopDetachedVm(vm, 0);
    await rm(work, { recursive: true, force: true });
  });

  it("boots with it, and it is in neither ps nor qemu.args.json", { skip }, async () => {
    const initrd = path.join(work, "empty.img");
    await writeFile(initrd, Buffer.alloc(0));
    vm = await startDetachedVm({
      parentDir: work,
      prefix: "vm",
      media: {
        kind: "kernel+initrd",
        kernel: (await hostKernel())!,
        initrd,
        cmdline: `console=ttyS0 panic=-1 password=${SECRET}`,
      },
      accel: "tcg",
      memoryMiB: 256,
      cpus: 1,
      forwards: [],
    });
    const ps = (await readFile(`/proc/${vm.pid}/cmdline`, "utf8")).split("\0");
    assert.ok(ps.includes("-readconfig"), `qemu reads its machine from a file: ${ps.join(" ")}`);
    assert.ok(!ps.join(" ").includes(SECRET), "the command line is not in qemu's arguments");
    const argsJson = await readFile(path.join(vm.vmDir, "qemu.args.json"), "utf8");
    assert.ok(!argsJson.includes(SECRET), "qemu.args.json does not hold it");
    const cfg = path.join(vm.vmDir, MACHINE_CONFIG_FILE);
    assert.equal((await stat(cfg)).mode & 0o777, 0o600);
    // The guest got it: the kernel prints its command line first thing.
    const deadline = Date.now() + 60_000;
    let console = "";
    while (Date.now() < deadline) {
      console = await readFile(vm.consoleLog, "utf8").catch(() => "");
      if (/Command line:.*password=/.test(console)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(console, new RegExp(`Command line: .*password=${SECRET}`));
  });
});

/**
 * Every bootable disk format boots under qemu TCG the way its platform
 * would boot it, from a minimal root filesystem (host kernel + busybox
 * /init printing the test init's markers and powering off):
 *
 * - BIOS disks with SeaBIOS from IDE (raw-bios also from virtio-blk with
 *   the product's own `run qemu` command line, `buildQemuArgs`);
 * - EFI disks with OVMF (pflash code + a copy of the variable store);
 * - gcp: the tar.gz is unpacked as GCE does and its disk.raw booted from a
 *   virtio-scsi disk, as GCE attaches boot disks.
 *
 * The console must show the boot loader handing over the image's command
 * line and the markers in order; qemu must exit by itself (guest power-off).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { formatTable } from "../../../components/formats/table";
import type { Artifact } from "../../../components/formats/blocks/types";
import { buildQemuArgs } from "../../../components/qemu/qemu-args";
import {
  BOOT_COMPLETE,
  bootDisk,
  bootSkipReason,
  consoleTail,
  INIT_STARTED,
  POWEROFF,
  runQemu,
  TEST_CMDLINE,
  writeMinimalBootTar,
  type DiskBootOptions,
  type DiskBootResult,
} from "../../helpers/formats/disk-boot";
import { run } from "../../helpers/formats/run";

const BOOT_TIMEOUT_MS = 120_000;

interface Case {
  format: string;
  qemuFormat: DiskBootOptions["format"];
  firmware: "bios" | "efi";
  bus: NonNullable<DiskBootOptions["bus"]>;
}

const CASES: Case[] = [
  { format: "raw-bios", qemuFormat: "raw", firmware: "bios", bus: "ide" },
  { format: "raw-efi", qemuFormat: "raw", firmware: "efi", bus: "ide" },
  { format: "qcow2-bios", qemuFormat: "qcow2", firmware: "bios", bus: "ide" },
  { format: "qcow2-efi", qemuFormat: "qcow2", firmware: "efi", bus: "virtio" },
  { format: "vhd", qemuFormat: "vpc", firmware: "bios", bus: "ide" },
  { format: "dynamic-vhd", qemuFormat: "vpc", firmware: "bios", bus: "ide" },
  { format: "vmdk", qemuFormat: "vmdk", firmware: "bios", bus: "ide" },
  { format: "aws", qemuFormat: "raw", firmware: "bios", bus: "ide" },
];

let work = "";
let skipReason: string | undefined;
const built = new Map<string, Artifact>();

before(async () => {
  skipReason = await bootSkipReason(true);
  if (skipReason !== undefined) return;
  work = await mkdtemp(path.join(os.tmpdir(), "lk-disk-boot-"));
  const rootfs = path.join(work, "rootfs.tar");
  await writeMinimalBootTar(rootfs);
  for (const format of [...CASES.map((c) => c.format), "gcp"]) {
    const f = formatTable.get(format);
    assert.ok(f);
    // dynamic-vhd and vhd share a file name, as in LinuxKit: separate directories.
    const outputDir = path.join(work, "out", format);
    await mkdir(outputDir, { recursive: true });
    const [a] = await f.write({
      name: "lk",
      outputDir,
      rootfsTarPath: rootfs,
      tmpDir: path.join(work, "tmp"),
      options: {},
    });
    assert.ok(a);
    built.set(format, a);
  }
});

after(async () => {
  if (work !== "") await rm(work, { recursive: true, force: true });
});

function assertBooted(r: DiskBootResult, what: string): void {
  const tailText = `\n--- ${what}: last console lines ---\n${consoleTail(r.console)}`;
  assert.equal(
    r.timedOut,
    false,
    `${what} did not power off within ${BOOT_TIMEOUT_MS / 1000} s${tailText}`,
  );
  assert.equal(r.code, 0, `qemu exit code${tailText}`);
  const lines = r.console.split("\n");
  let from = 0;
  for (const marker of [INIT_STARTED, BOOT_COMPLETE, POWEROFF]) {
    const at = lines.findIndex((l, i) => i >= from && l.includes(marker));
    assert.ok(at >= 0, `${what}: "${marker}" missing or out of order${tailText}`);
    from = at + 1;
  }
  const cmdline = lines.find((l) => l.startsWith("LINUXKIT-TEST: cmdline "));
  assert.ok(
    cmdline?.includes(TEST_CMDLINE),
    `the boot loader passed the image's command line: ${cmdline}`,
  );
}

describe("disk formats boot under qemu TCG", () => {
  for (const c of CASES) {
    it(`${c.format}: ${c.firmware === "efi" ? "OVMF" : "SeaBIOS"} from ${c.bus}`, async (t) => {
      if (skipReason !== undefined) return t.skip(skipReason);
      const a = built.get(c.format);
      assert.ok(a);
      const r = await bootDisk({
        path: a.path,
        format: c.qemuFormat,
        firmware: c.firmware,
        bus: c.bus,
        scratch: work,
        timeoutMs: BOOT_TIMEOUT_MS,
      });
      assertBooted(r, c.format);
      if (c.firmware === "bios") assert.match(r.console, /SYSLINUX/, "syslinux ran");
      t.diagnostic(`${c.format}: powered off after ${r.seconds.toFixed(1)} s`);
    });
  }

  it("raw-bios with the product's `run qemu` command line (virtio-blk disk, SeaBIOS)", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const a = built.get("raw-bios");
    assert.ok(a);
    const args = buildQemuArgs({
      media: { kind: "disk", path: a.path, format: "raw" },
      accel: "tcg",
      memoryMiB: 256,
      console: { kind: "stdio" },
      networking: "none",
    }).map((arg) => (arg.startsWith(`file=${a.path},`) ? `${arg},snapshot=on` : arg));
    const r = await runQemu(args, BOOT_TIMEOUT_MS);
    assertBooted(r, "raw-bios via buildQemuArgs");
    t.diagnostic(`raw-bios (run qemu args): powered off after ${r.seconds.toFixed(1)} s`);
  });

  it("gcp: unpacked as GCE does, disk.raw (whole GiB) boots with SeaBIOS from virtio-scsi", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const a = built.get("gcp");
    assert.ok(a);
    const dir = path.join(work, "gcp-unpacked");
    await mkdir(dir);
    run("tar", ["-xzf", a.path, "-C", dir]);
    const disk = path.join(dir, "disk.raw");
    assert.equal(run("stat", ["-c", "%s", disk]).toString().trim(), String(1024 ** 3));
    const r = await bootDisk({
      path: disk,
      format: "raw",
      firmware: "bios",
      bus: "virtio-scsi",
      scratch: work,
      timeoutMs: BOOT_TIMEOUT_MS,
    });
    assertBooted(r, "gcp disk.raw");
    t.diagnostic(`gcp disk.raw: powered off after ${r.seconds.toFixed(1)} s`);
  });
});

/**
 * The arm64 row of the qemu machine table: qemu-system-aarch64 -machine
 * virt, -cpu max under TCG, AAVMF for EFI media, CD-ROMs on virtio-scsi,
 * and no boot without UEFI for ISOs and disks; plus how `run qemu` tells
 * which architecture a build is for.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { findOvmf } from "../../../components/qemu/boot-media";
import { guestArch, kernelArch } from "../../../components/qemu/guest-arch";
import { buildQemuArgs } from "../../../components/qemu/qemu-args";
import { QEMU_MACHINES } from "../../../components/qemu/qemu-machines";

function after1(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

describe("qemu for arm64", () => {
  it("kernel+initrd: virt machine, -cpu max (TCG) or host (KVM), virtio devices", () => {
    const media = {
      kind: "kernel+initrd",
      kernel: "k",
      initrd: "i",
      cmdline: "console=ttyAMA0",
    } as const;
    const tcg = buildQemuArgs({ media, arch: "arm64", accel: "tcg", console: { kind: "stdio" } });
    assert.equal(after1(tcg, "-machine"), "virt,accel=tcg");
    assert.equal(after1(tcg, "-cpu"), "max,pauth-impdef=on");
    assert.equal(after1(tcg, "-kernel"), "k");
    assert.equal(after1(tcg, "-append"), "console=ttyAMA0");
    assert.ok(tcg.includes("virtio-net-pci,netdev=net0") && tcg.includes("virtio-rng-pci"));
    const kvm = buildQemuArgs({ media, arch: "arm64", accel: "kvm", console: { kind: "stdio" } });
    assert.equal(after1(kvm, "-cpu"), "host");
    assert.equal(QEMU_MACHINES.arm64.binary, "qemu-system-aarch64");
    assert.equal(QEMU_MACHINES.arm64.console, "ttyAMA0");
  });

  it("an EFI ISO: AAVMF in pflash, the CD-ROM on virtio-scsi (virt has no IDE)", () => {
    const args = buildQemuArgs({
      media: { kind: "iso", path: "/x/a-efi.iso", uefi: true },
      arch: "arm64",
      accel: "tcg",
      ovmfCode: "/usr/share/AAVMF/AAVMF_CODE.fd",
      console: { kind: "stdio" },
    });
    assert.ok(
      args.includes("if=pflash,format=raw,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd"),
    );
    assert.ok(args.includes("virtio-scsi-pci,id=scsi0"));
    assert.ok(args.includes("if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=/x/a-efi.iso"));
    assert.ok(args.includes("scsi-cd,bus=scsi0.0,drive=cd0,bootindex=0"));
    assert.ok(!args.includes("-cdrom"), "no IDE CD-ROM");
  });

  it("the CD-ROM's -drive doubles commas of the ISO's path (a list option)", () => {
    const args = buildQemuArgs({
      media: { kind: "iso", path: "/x/a,media=disk/b.iso", uefi: true },
      arch: "arm64",
      accel: "tcg",
      ovmfCode: "/usr/share/AAVMF/AAVMF_CODE.fd",
      console: { kind: "stdio" },
    });
    assert.ok(
      args.includes(
        "if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=/x/a,,media=disk/b.iso",
      ),
      args.join(" "),
    );
  });

  it("refuses an ISO or disk without UEFI: arm64 machines have no BIOS", () => {
    assert.throws(
      () =>
        buildQemuArgs({
          media: { kind: "disk", path: "d.qcow2", format: "qcow2" },
          arch: "arm64",
          accel: "tcg",
          console: { kind: "stdio" },
        }),
      /qemu-system-aarch64 boots disks with UEFI only/,
    );
  });

  it("finds Debian's AAVMF (qemu-efi-aarch64)", () => {
    assert.equal(findOvmf("arm64"), "/usr/share/AAVMF/AAVMF_CODE.fd");
  });
});

describe("which architecture a build is for", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-guest-arch-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads the kernel header: arm64 Image, x86 bzImage, PE machine", async () => {
    const arm = Buffer.alloc(4096);
    arm.write("ARM\x64", 0x38, "latin1");
    await writeFile(path.join(dir, "arm-kernel"), arm);
    const x86 = Buffer.alloc(4096);
    x86.write("HdrS", 0x202, "latin1");
    await writeFile(path.join(dir, "x86-kernel"), x86);
    const pe = Buffer.alloc(4096);
    pe.write("MZ", 0, "latin1");
    pe.writeUInt32LE(0x80, 0x3c);
    pe.write("PE\0\0", 0x80, "latin1");
    pe.writeUInt16LE(0xaa64, 0x84);
    await writeFile(path.join(dir, "zboot"), pe);
    await writeFile(path.join(dir, "junk"), Buffer.alloc(100));
    assert.equal(kernelArch(path.join(dir, "arm-kernel")), "arm64");
    assert.equal(kernelArch(path.join(dir, "x86-kernel")), "amd64");
    assert.equal(kernelArch(path.join(dir, "zboot")), "arm64");
    assert.equal(kernelArch(path.join(dir, "junk")), undefined);
  });

  it("prefers the build manifest, then the kernel, then amd64", async () => {
    await writeFile(path.join(dir, ".m.linuxkit-build.json"), JSON.stringify({ arch: "arm64" }));
    assert.equal(guestArch(path.join(dir, "m")), "arm64");
    assert.equal(guestArch(path.join(dir, "arm"), path.join(dir, "arm-kernel")), "arm64");
    assert.equal(guestArch(path.join(dir, "none")), "amd64");
  });
});

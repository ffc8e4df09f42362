/**
 * The architecture table and what it decides before a build: names users
 * write, which formats build for arm64 (BIOS ones refused naming their EFI
 * alternative), GRUB's arm64 target, the engine's image architecture
 * check, and Compute Engine machine types.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import { archOfImage, parseArch } from "../../../components/arch";
import { isLinuxKitError, LinuxKitErrors } from "../../../components/errors/errors";
import {
  buildGrubEfi,
  efiBootPath,
  grubBootConfig,
  grubEarlyConfig,
} from "../../../components/formats/blocks/grub-efi";
import { ARM64_FORMATS, EFI_ALTERNATIVES } from "../../../components/formats/format-arches";
import { formatNames, validateFormats } from "../../../components/formats/table";
import { checkMachineType, machineTypeArch } from "../../../components/pulumi/gcp/gcp-arch";
import { checkArchitecture } from "../../../components/sources/docker-image-source";

describe("architectures", () => {
  it("parses the names LinuxKit, uname and Docker use; refuses others naming the field", () => {
    assert.equal(parseArch("arm64"), "arm64");
    assert.equal(parseArch("aarch64"), "arm64");
    assert.equal(parseArch("x86_64"), "amd64");
    assert.equal(parseArch("linux/arm64/v8"), "arm64");
    assert.throws(
      () => parseArch("s390x", "--arch", "USAGE"),
      (e: unknown) => {
        assert.ok(isLinuxKitError(e));
        assert.equal(e.code, "USAGE");
        assert.match(e.message, /--arch: unknown architecture "s390x"/);
        assert.match(e.hint ?? "", /amd64, arm64/);
        return true;
      },
    );
    assert.equal(archOfImage("arm64"), "arm64");
    assert.equal(archOfImage("riscv64"), undefined);
  });

  it("an engine image of another architecture is IMAGE_PLATFORM naming the image and both platforms", () => {
    checkArchitecture("lk/a:1", "arm64", "arm64", false);
    assert.throws(
      () => checkArchitecture("lk/a:1", "amd64", "arm64", false),
      (e: unknown) => {
        assert.ok(isLinuxKitError(e));
        assert.equal(e.code, "IMAGE_PLATFORM");
        assert.equal(e.image, "lk/a:1");
        assert.match(e.message, /image lk\/a:1 is for linux\/amd64, not linux\/arm64/);
        assert.match(e.hint ?? "", /docker pull --platform linux\/arm64 lk\/a:1/);
        return true;
      },
    );
  });
});

describe("formats per architecture", () => {
  it("arm64 builds the packaging and UEFI formats", () => {
    const wanted = [...ARM64_FORMATS];
    assert.deepEqual(validateFormats(wanted, "arm64"), wanted);
    // every implemented format is either built for arm64 or has an EFI alternative
    for (const f of formatNames()) {
      assert.ok(ARM64_FORMATS.has(f) || EFI_ALTERNATIVES[f] !== undefined, `${f} is classified`);
    }
  });

  it("refuses every BIOS format for arm64 at once, each naming its EFI alternative", () => {
    assert.throws(
      () => validateFormats(["raw-bios", "qcow2-bios", "kernel+initrd"], "arm64"),
      (e: unknown) => {
        assert.ok(e instanceof LinuxKitErrors);
        assert.deepEqual(
          e.errors.map((x) => x.message),
          [
            "output format raw-bios boots with BIOS, which arm64 (aarch64) machines do not have: use raw-efi",
            "output format qcow2-bios boots with BIOS, which arm64 (aarch64) machines do not have: use qcow2-efi",
          ],
        );
        return true;
      },
    );
    assert.deepEqual(validateFormats(["iso-bios"], "amd64"), ["iso-bios"]);
  });

  it("GRUB for arm64: BOOTAA64.EFI, firmware console only; amd64's config is unchanged", () => {
    assert.equal(efiBootPath("arm64"), "EFI/BOOT/BOOTAA64.EFI");
    assert.equal(efiBootPath(), "EFI/BOOT/BOOTX64.EFI");
    const entry = { kernel: "/kernel", initrd: "/initrd.img", cmdline: "console=ttyAMA0" };
    const arm = grubBootConfig({ ...entry, arch: "arm64" });
    assert.ok(!arm.includes("serial"), arm);
    assert.match(arm, /terminal_output console\n/);
    assert.match(
      grubBootConfig(entry),
      /serial --unit=0 --speed=115200\nterminal_input serial console/,
    );
  });

  it("the arm64 GRUB loader is an arm64 PE image, the same bytes every time", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lk-grub-arm64-"));
    try {
      const earlyConfig = grubEarlyConfig("1234-ABCD", "/EFI/BOOT/grub.cfg");
      const a = await buildGrubEfi(path.join(dir, "a.efi"), {
        earlyConfig,
        tmpDir: dir,
        arch: "arm64",
      });
      const b = await buildGrubEfi(path.join(dir, "b.efi"), {
        earlyConfig,
        tmpDir: dir,
        arch: "arm64",
      });
      assert.equal(a.sha256, b.sha256);
      const efi = await readFile(path.join(dir, "a.efi"));
      const pe = efi.readUInt32LE(0x3c);
      assert.equal(efi.readUInt16LE(pe + 4), 0xaa64);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("Compute Engine machine types", () => {
  it("knows the Arm series and refuses a machine of the other architecture, both ways", () => {
    assert.equal(machineTypeArch("t2a-standard-1"), "arm64");
    assert.equal(machineTypeArch("zones/us-central1-a/machineTypes/c4a-highcpu-4"), "arm64");
    assert.equal(machineTypeArch("e2-small"), "amd64");
    checkMachineType("t2a-standard-1", "arm64");
    checkMachineType("n2-custom-2-4096", "amd64");
    assert.throws(
      () => checkMachineType("e2-small", "arm64"),
      /machineType e2-small is an x86-64 machine \(e2\), but the image is built for arm64/,
    );
    assert.throws(
      () => checkMachineType("c4a-standard-2", "amd64"),
      /machineType c4a-standard-2 is an Arm machine \(c4a\), but the image is built for amd64/,
    );
  });
});

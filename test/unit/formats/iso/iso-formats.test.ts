/**
 * The ISO formats (iso-bios, iso-efi, iso-efi-initrd): what each ISO
 * holds and how it boots (El Torito, isohybrid MBR, FAT boot image,
 * loader configs), that the same root filesystem tar always gives the
 * same bytes, and a clear TOOL_MISSING when xorriso is absent. Booting
 * them is test/unit/formats/iso-boot.test.ts and test/e2e/boot-iso.test.ts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { isLinuxKitError } from "../../../../components/errors/errors";
import { grubIsoUuid } from "../../../../components/formats/blocks/grub-efi";
import { isoBiosFormat, isolinuxConfig } from "../../../../components/formats/writers/iso-bios";
import { isoEfiFormat } from "../../../../components/formats/writers/iso-efi";
import { isoEfiInitrdFormat } from "../../../../components/formats/writers/iso-efi-initrd";
import { kernelInitrdFormat } from "../../../../components/formats/writers/kernel-initrd";
import { formatTable, PLANNED_FORMATS, writeFormats } from "../../../../components/formats/table";
import type { Artifact, OutputFormat } from "../../../../components/formats/blocks/types";
import { CMDLINE, KERNEL, rootfsEntries, writeTar } from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";
import {
  elTorito,
  fatFile,
  fatListing,
  isoFile,
  isoTree,
  pvdInfo,
} from "../../../helpers/formats/iso-inspect";

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

async function writeOnce(
  format: OutputFormat,
  dir: string,
  tarPath: string,
  run: string,
  name = "linuxkit",
): Promise<Artifact> {
  const outputDir = path.join(dir, `out-${run}`);
  await mkdir(outputDir, { recursive: true });
  const artifacts = await format.write({
    name,
    outputDir,
    rootfsTarPath: tarPath,
    tmpDir: path.join(dir, `tmp-${run}`),
    options: {},
  });
  assert.equal(artifacts.length, 1);
  const [a] = artifacts as [Artifact];
  assert.equal(a.format, format.name);
  assert.equal(path.basename(a.path), format.files(name)[0]);
  const bytes = await readFile(a.path);
  assert.equal(a.size, bytes.length);
  assert.equal(a.sha256, sha256(bytes));
  assert.equal(a.size % 2048, 0, "whole ISO blocks");
  return a;
}

/** The initrd kernel+initrd writes for the same tar: the ISOs must carry exactly it. */
async function expectedInitrd(dir: string, tarPath: string): Promise<Buffer> {
  const outputDir = path.join(dir, "ki");
  await mkdir(outputDir, { recursive: true });
  const [, initrd] = await kernelInitrdFormat.write({
    name: "ref",
    outputDir,
    rootfsTarPath: tarPath,
    tmpDir: path.join(dir, "tmp-ki"),
    options: {},
  });
  assert.ok(initrd);
  return readFile(initrd.path);
}

async function fixtureTar(dir: string, cmdline?: string): Promise<string> {
  const tarPath = path.join(dir, cmdline === undefined ? "rootfs.tar" : "rootfs-2.tar");
  const entries = rootfsEntries().map((e) =>
    e.name === "boot/cmdline" && cmdline !== undefined ? { ...e, data: Buffer.from(cmdline) } : e,
  );
  await writeTar(tarPath, entries);
  return tarPath;
}

describe("ISO formats in the table", () => {
  it("are implemented with LinuxKit's names and file names", () => {
    assert.equal(formatTable.get("iso-bios"), isoBiosFormat);
    assert.equal(formatTable.get("iso-efi"), isoEfiFormat);
    assert.equal(formatTable.get("iso-efi-initrd"), isoEfiInitrdFormat);
    for (const n of ["iso-bios", "iso-efi", "iso-efi-initrd"])
      assert.ok(!PLANNED_FORMATS.includes(n));
    assert.deepEqual(isoBiosFormat.files("lk"), ["lk.iso"]);
    assert.deepEqual(isoEfiFormat.files("lk"), ["lk-efi.iso"]);
    assert.deepEqual(isoEfiInitrdFormat.files("lk"), ["lk-efi-initrd.iso"]);
    assert.deepEqual(
      isoBiosFormat.requiredTools?.map((t) => `${t.command}:${t.debianPackage}`),
      ["xorriso:xorriso"],
    );
    assert.deepEqual(
      isoEfiFormat.requiredTools?.map((t) => `${t.command}:${t.debianPackage}`),
      [
        "xorriso:xorriso",
        "grub-mkimage:grub-common",
        "mformat:mtools",
        "mmd:mtools",
        "mcopy:mtools",
      ],
    );
  });

  it("a missing xorriso is TOOL_MISSING naming the package, before any work", async () => {
    await withTmpDir(async (dir) => {
      const saved = process.env.PATH;
      process.env.PATH = path.join(dir, "no-bin");
      try {
        await assert.rejects(
          writeFormats(["iso-efi"], {
            name: "x",
            outputDir: dir,
            rootfsTarPath: path.join(dir, "missing.tar"),
            tmpDir: dir,
            options: {},
          }),
          (e: unknown) =>
            isLinuxKitError(e) &&
            e.code === "TOOL_MISSING" &&
            /xorriso/.test(e.message) &&
            /apt-get install xorriso/.test(e.message),
        );
      } finally {
        process.env.PATH = saved;
      }
    });
  });
});

describe("iso-bios", () => {
  it("is reproducible and holds ISOLINUX, the kernel, the initrd and the command line", async () => {
    await withTmpDir(async (dir) => {
      const tarPath = await fixtureTar(dir);
      const a = await writeOnce(isoBiosFormat, dir, tarPath, "1");
      const b = await writeOnce(isoBiosFormat, dir, tarPath, "2", "other-name");
      assert.equal(a.sha256, b.sha256, "same tar, same ISO");

      const tree = isoTree(a.path);
      assert.deepEqual(
        tree.map((e) => e.path),
        [
          "/",
          "/boot",
          "/boot/initrd.img",
          "/boot/kernel",
          "/isolinux",
          "/isolinux/isolinux.bin",
          "/isolinux/isolinux.cfg",
          "/isolinux/ldlinux.c32",
        ],
      );
      for (const e of tree) {
        assert.equal(e.uid, 0);
        assert.equal(e.gid, 0);
        assert.equal(e.date, "Jan 1 1980", `${e.path} dated ${e.date}`);
      }
      assert.deepEqual(isoFile(a.path, "/boot/kernel", path.join(dir, "k")), KERNEL);
      assert.deepEqual(
        isoFile(a.path, "/boot/initrd.img", path.join(dir, "i")),
        await expectedInitrd(dir, tarPath),
      );
      const cfg = isoFile(a.path, "/isolinux/isolinux.cfg", path.join(dir, "c")).toString();
      assert.equal(cfg, isolinuxConfig(CMDLINE.toString()));
      assert.match(cfg, /^SERIAL 0 115200$/m);
      assert.match(cfg, /^ {2}APPEND console=ttyS0 quiet$/m);
      assert.match(cfg, /^ {2}INITRD \/boot\/initrd\.img$/m);

      const { images } = elTorito(a.path);
      assert.equal(images.length, 1);
      const [img] = images as [(typeof images)[0]];
      assert.equal(img.platform, "BIOS");
      assert.equal(img.bootable, true);
      assert.equal(img.emulation, "none");
      assert.equal(img.loadSize, 4);
      assert.equal(img.path, "/isolinux/isolinux.bin");
      assert.match(img.options ?? "", /boot-info-table/);
      assert.match(img.options ?? "", /isohybrid-suitable/);

      const head = (await readFile(a.path)).subarray(0, 512);
      assert.equal(head.readUInt16LE(510), 0xaa55, "isohybrid MBR");
      assert.equal(head[446], 0x80, "the MBR partition is active");

      const pvd = pvdInfo(a.path);
      assert.equal(pvd.get("Volume Id"), "LINUXKIT");
      assert.match(pvd.get("Creation Time") ?? "", /^\d{16}$/);
      assert.equal(pvd.get("Creation Time"), pvd.get("Modif. Time"));
    });
  });

  it("differs when the command line differs (and so does its volume date)", async () => {
    await withTmpDir(async (dir) => {
      const a = await writeOnce(isoBiosFormat, dir, await fixtureTar(dir), "1");
      const b = await writeOnce(isoBiosFormat, dir, await fixtureTar(dir, "console=ttyS0"), "2");
      assert.notEqual(a.sha256, b.sha256);
      assert.notEqual(pvdInfo(a.path).get("Creation Time"), pvdInfo(b.path).get("Creation Time"));
    });
  });
});

for (const [format, kernelPath, initrdPath] of [
  [isoEfiFormat, "/boot/kernel", "/boot/initrd.img"],
  [isoEfiInitrdFormat, "/kernel", "/initrd.img"],
] as const) {
  describe(format.name, () => {
    it("is reproducible; GRUB in a hidden FAT El Torito image finds this ISO by its UUID", async () => {
      await withTmpDir(async (dir) => {
        const tarPath = await fixtureTar(dir);
        const a = await writeOnce(format, dir, tarPath, "1");
        const b = await writeOnce(format, dir, tarPath, "2");
        assert.equal(a.sha256, b.sha256, "same tar, same ISO");

        const tree = isoTree(a.path);
        const expected = ["/", "/EFI", "/EFI/BOOT", "/EFI/BOOT/grub.cfg", kernelPath, initrdPath];
        if (kernelPath.startsWith("/boot/")) expected.splice(4, 0, "/boot");
        assert.deepEqual(tree.map((e) => e.path).sort(), expected.sort());
        for (const e of tree) assert.equal(e.date, "Jan 1 1980");
        assert.deepEqual(isoFile(a.path, kernelPath, path.join(dir, "k")), KERNEL);
        assert.deepEqual(
          isoFile(a.path, initrdPath, path.join(dir, "i")),
          await expectedInitrd(dir, tarPath),
        );
        const cfg = isoFile(a.path, "/EFI/BOOT/grub.cfg", path.join(dir, "g")).toString();
        assert.match(cfg, /^set timeout=0$/m);
        assert.match(cfg, /^terminal_output serial console$/m);
        assert.ok(cfg.includes(`\tlinux ${kernelPath} console=ttyS0 quiet\n`), cfg);
        assert.ok(cfg.includes(`\tinitrd ${initrdPath}\n`), cfg);

        const { images } = elTorito(a.path);
        assert.equal(images.length, 1);
        const [img] = images as [(typeof images)[0]];
        assert.equal(img.platform, "UEFI");
        assert.equal(img.bootable, true);
        assert.equal(img.emulation, "none");
        const offset = img.lba * 2048;
        const listing = fatListing(a.path, offset);
        assert.match(listing, /Directory for ::\/EFI\/BOOT/);
        assert.match(listing, /BOOTX64\s+EFI\s+\d+ 1980-01-01/);
        const loader = fatFile(a.path, "/EFI/BOOT/BOOTX64.EFI", offset);
        assert.equal(loader.subarray(0, 2).toString("latin1"), "MZ");
        const uuid = grubIsoUuid(pvdInfo(a.path).get("Creation Time") ?? "");
        assert.ok(
          loader.includes(Buffer.from(`search --no-floppy --fs-uuid --set=root ${uuid}\n`)),
          `the loader searches for ${uuid}`,
        );
        assert.ok(loader.includes(Buffer.from("configfile ($root)/EFI/BOOT/grub.cfg")));
      });
    });
  });
}

describe("iso-efi and iso-efi-initrd of one tar", () => {
  it("have different volume UUIDs, so GRUB never boots the other one", async () => {
    await withTmpDir(async (dir) => {
      const tarPath = await fixtureTar(dir);
      const a = await writeOnce(isoEfiFormat, dir, tarPath, "1");
      const b = await writeOnce(isoEfiInitrdFormat, dir, tarPath, "2");
      assert.notEqual(pvdInfo(a.path).get("Creation Time"), pvdInfo(b.path).get("Creation Time"));
    });
  });
});

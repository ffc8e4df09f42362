import assert from "node:assert/strict";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { isLinuxKitError, LinuxKitErrors } from "../../../components/errors/errors";
import {
  formatNames,
  formatTable,
  PLANNED_FORMATS,
  validateFormats,
  writeFormats,
} from "../../../components/formats/table";
import { findOnPath, requireTool } from "../../../components/formats/blocks/tools";
import { rootfsEntries, writeTar } from "../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../helpers/formats/tmp";

describe("formats table", () => {
  it("lists exactly the implemented formats, none of them planned", () => {
    assert.deepEqual(formatNames(), [
      "aws",
      "docker",
      "dynamic-vhd",
      "gcp",
      "iso-bios",
      "iso-efi",
      "iso-efi-initrd",
      "kernel+initrd",
      "kernel+iso",
      "kernel+squashfs",
      "qcow2-bios",
      "qcow2-efi",
      "raw-bios",
      "raw-efi",
      "tar",
      "tar-kernel-initrd",
      "vhd",
      "vmdk",
    ]);
    for (const name of formatNames()) assert.ok(!PLANNED_FORMATS.includes(name));
    for (const [name, f] of formatTable) assert.equal(f.name, name);
  });

  it("file names match LinuxKit's", () => {
    const files = (n: string): string[] => formatTable.get(n)?.files("lk") ?? [];
    assert.deepEqual(files("kernel+initrd"), ["lk-kernel", "lk-initrd.img", "lk-cmdline"]);
    assert.deepEqual(files("tar"), ["lk.tar"]);
    assert.deepEqual(files("tar-kernel-initrd"), ["lk-initrd.tar"]);
  });
});

describe("validateFormats", () => {
  it("keeps first-mention order and drops duplicates", () => {
    assert.deepEqual(validateFormats(["tar", "kernel+initrd", "tar"]), ["tar", "kernel+initrd"]);
  });

  it("rejects an unknown name with FORMAT_UNKNOWN listing the valid names", () => {
    assert.throws(
      () => validateFormats(["kernel+initrd", "qcow3"]),
      (err: unknown) =>
        isLinuxKitError(err) &&
        err.code === "FORMAT_UNKNOWN" &&
        /unknown output format "qcow3"/.test(err.message) &&
        err.hint === `valid formats: ${formatNames().join(", ")}`,
    );
  });

  it("refuses two formats that would write the same file", () => {
    assert.throws(
      () => validateFormats(["vhd", "dynamic-vhd"]),
      (err: unknown) =>
        isLinuxKitError(err) &&
        err.code === "FORMAT_UNKNOWN" &&
        /vhd and dynamic-vhd both write NAME\.vhd/.test(err.message),
    );
  });

  it("lets formats share the kernel and command line files, which are the same bytes", () => {
    assert.deepEqual(validateFormats(["kernel+initrd", "kernel+squashfs"]), [
      "kernel+initrd",
      "kernel+squashfs",
    ]);
    assert.throws(
      () => validateFormats(["kernel+iso", "iso-bios"]),
      /kernel\+iso and iso-bios both write NAME\.iso/,
    );
  });

  it("says a LinuxKit format not written yet is not supported yet", () => {
    assert.throws(
      () => validateFormats(["kernel+erofs"]),
      (err: unknown) =>
        isLinuxKitError(err) &&
        err.code === "FORMAT_UNKNOWN" &&
        err.message === "output format kernel+erofs is not supported yet",
    );
  });

  it("reports every bad name at once", () => {
    assert.throws(
      () => validateFormats(["nope", "rpi3"]),
      (err: unknown) =>
        err instanceof LinuxKitErrors && err.errors.length === 2 && err.code === "FORMAT_UNKNOWN",
    );
  });
});

describe("writeFormats", () => {
  it("validates before doing any work", async () => {
    await withTmpDir(async (dir) => {
      const ctx = {
        name: "lk",
        outputDir: dir,
        rootfsTarPath: path.join(dir, "missing.tar"),
        tmpDir: dir,
        options: {},
      };
      await assert.rejects(writeFormats(["tar", "rpi3"], ctx), { code: "FORMAT_UNKNOWN" });
      assert.deepEqual(await readdir(dir), []);
    });
  });

  it("writes each format once and returns every artifact", async () => {
    await withTmpDir(async (dir) => {
      const rootfsTarPath = path.join(dir, "rootfs.tar");
      await writeTar(rootfsTarPath, rootfsEntries());
      const outputDir = path.join(dir, "out");
      await mkdir(outputDir);
      const artifacts = await writeFormats(["tar", "kernel+initrd", "tar"], {
        name: "lk",
        outputDir,
        rootfsTarPath,
        tmpDir: path.join(dir, "tmp"),
        options: {},
      });
      assert.deepEqual(
        artifacts.map((a) => [a.format, path.basename(a.path)]),
        [
          ["tar", "lk.tar"],
          ["kernel+initrd", "lk-kernel"],
          ["kernel+initrd", "lk-initrd.img"],
          ["kernel+initrd", "lk-cmdline"],
        ],
      );
    });
  });

  it("wraps an unexpected failure as a BUILD error naming the format", async () => {
    await withTmpDir(async (dir) => {
      const bad = path.join(dir, "not-a-tar");
      await writeFile(bad, "this is not a tar file".repeat(100));
      await assert.rejects(
        writeFormats(["kernel+initrd"], {
          name: "lk",
          outputDir: dir,
          rootfsTarPath: bad,
          tmpDir: dir,
          options: {},
        }),
        (err: unknown) =>
          isLinuxKitError(err) && err.code === "BUILD" && /kernel\+initrd/.test(err.message),
      );
      assert.deepEqual(await readdir(dir), ["not-a-tar"]);
    });
  });
});

describe("requireTool", () => {
  it("returns the absolute path of an installed command", async () => {
    const sh = await requireTool("sh", "dash");
    assert.ok(path.isAbsolute(sh));
    assert.equal(await findOnPath("sh"), sh);
  });

  it("fails with TOOL_MISSING and the apt-get command to run", async () => {
    await assert.rejects(
      requireTool("surely-not-a-command-xyz", "xyz-tools"),
      (err: unknown) =>
        isLinuxKitError(err) &&
        err.code === "TOOL_MISSING" &&
        err.message ===
          "surely-not-a-command-xyz not found: install it with `apt-get install xyz-tools`",
    );
  });

  it("looks only at the search path given", async () => {
    assert.equal(await findOnPath("sh", "/nonexistent-dir"), undefined);
  });
});

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";

import { LinuxKitError } from "../../../components/errors/errors";
import { findBootMedia } from "../../../components/qemu/boot-media";
import type { BootMedia } from "../../../components/qemu/qemu-args";

describe("findBootMedia", () => {
  let dir = "";
  let prefix = "";
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-boot-media-"));
    prefix = path.join(dir, "web");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function touch(...suffixes: string[]): Promise<void> {
    for (const s of suffixes)
      await writeFile(`${prefix}${s}`, s === "-cmdline" ? "console=ttyS0 quiet\n" : "x");
  }

  it("prefers kernel+initrd over everything else, with the cmdline file's text", async () => {
    await touch("-kernel", "-initrd.img", "-cmdline", ".iso", ".qcow2");
    assert.deepEqual(findBootMedia(prefix), {
      kind: "kernel+initrd",
      kernel: `${prefix}-kernel`,
      initrd: `${prefix}-initrd.img`,
      cmdline: "console=ttyS0 quiet",
    });
  });

  it("kernel+initrd without a cmdline file boots with an empty command line", async () => {
    await touch("-kernel", "-initrd.img");
    assert.equal((findBootMedia(prefix) as { cmdline: string }).cmdline, "");
  });

  const order: { present: string[]; expected: (p: string) => BootMedia; uefi?: boolean }[] = [
    {
      present: ["-kernel", ".iso"],
      expected: (p) => ({ kind: "iso", path: `${p}.iso`, uefi: undefined }),
    },
    {
      present: [".iso"],
      uefi: true,
      expected: (p) => ({ kind: "iso", path: `${p}.iso`, uefi: true }),
    },
    {
      present: ["-efi.iso", ".qcow2"],
      expected: (p) => ({ kind: "iso", path: `${p}-efi.iso`, uefi: true }),
    },
    {
      present: ["-efi-initrd.iso", ".qcow2"],
      expected: (p) => ({ kind: "iso", path: `${p}-efi-initrd.iso`, uefi: true }),
    },
    {
      present: [".qcow2", "-bios.img"],
      expected: (p) => ({ kind: "disk", path: `${p}.qcow2`, format: "qcow2" }),
    },
    {
      present: ["-efi.qcow2"],
      expected: (p) => ({ kind: "disk", path: `${p}-efi.qcow2`, format: "qcow2", uefi: true }),
    },
    {
      present: ["-bios.img", "-efi.img"],
      expected: (p) => ({ kind: "disk", path: `${p}-bios.img`, format: "raw" }),
    },
    {
      present: ["-efi.img"],
      expected: (p) => ({ kind: "disk", path: `${p}-efi.img`, format: "raw", uefi: true }),
    },
    { present: [".raw"], expected: (p) => ({ kind: "disk", path: `${p}.raw`, format: "raw" }) },
  ];
  for (const c of order) {
    it(`with ${c.present.join(" + ")}${c.uefi ? " and uefi" : ""} boots ${c.expected("PREFIX").kind} ${"path" in c.expected("PREFIX") ? (c.expected("PREFIX") as { path: string }).path : ""}`, async () => {
      await touch(...c.present);
      assert.deepEqual(findBootMedia(prefix, { uefi: c.uefi }), c.expected(prefix));
    });
  }

  const files: [string, BootMedia | ((f: string) => BootMedia)][] = [
    ["disk.qcow2", (f) => ({ kind: "disk", path: f, format: "qcow2", uefi: undefined })],
    ["disk.vmdk", (f) => ({ kind: "disk", path: f, format: "vmdk", uefi: undefined })],
    ["disk.vhd", (f) => ({ kind: "disk", path: f, format: "vpc", uefi: undefined })],
    ["disk-efi.img", (f) => ({ kind: "disk", path: f, format: "raw", uefi: true })],
    ["disk.raw", (f) => ({ kind: "disk", path: f, format: "raw", uefi: false })],
    ["cd-efi.iso", (f) => ({ kind: "iso", path: f, uefi: true })],
    ["cd-efi-initrd.iso", (f) => ({ kind: "iso", path: f, uefi: true })],
    ["cd.iso", (f) => ({ kind: "iso", path: f, uefi: false })],
  ];
  for (const [name, expected] of files) {
    it(`a prefix that is itself an image file (${name}) is booted as it is`, async () => {
      const file = path.join(dir, name);
      await writeFile(file, "x");
      assert.deepEqual(
        findBootMedia(file),
        typeof expected === "function" ? expected(file) : expected,
      );
    });
  }

  it("nothing to boot is a USAGE error that says how to build it", async () => {
    await writeFile(`${prefix}.txt`, "not an image");
    assert.throws(
      () => findBootMedia(prefix),
      (e: unknown) => {
        assert.ok(e instanceof LinuxKitError);
        assert.equal(e.code, "USAGE");
        assert.match(e.message, /nothing to boot at .*web/);
        assert.equal(e.hint, "build it first: pulumi-linuxkit build --name web FILE.yml");
        return true;
      },
    );
  });

  it("a prefix naming a file of unknown type falls back to the usual suffixes", async () => {
    await writeFile(prefix, "unknown");
    await touch(".iso");
    assert.deepEqual(findBootMedia(prefix), {
      kind: "iso",
      path: `${prefix}.iso`,
      uefi: undefined,
    });
  });
});

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";

import { LinuxKitError } from "../../../components/errors/errors";
import { addKernelLayer } from "../../../components/rootfs/kernel-layer";
import type { KernelSpec } from "../../../components/config/types";
import {
  byName,
  gnuExtract,
  names,
  pseudoRandom,
  sha256,
  spoolBytes,
  spoolEntries,
  tarBuffer,
  tarStream,
  withSpool,
  withTmpDir,
  type ReadEntry,
  type TestEntry,
} from "./helpers/tar";

const run = promisify(execFile);

const KERNEL = pseudoRandom(3 * 1024 * 1024 + 17, "bzImage");
const UCODE = pseudoRandom(4096, "ucode");
const IMAGE = "linuxkit/kernel:6.6.13";

/** A modules tarball as LinuxKit kernel images carry it. */
async function modulesTar(): Promise<Buffer> {
  return tarBuffer([
    { name: "lib/", type: "directory" },
    { name: "lib/modules/", type: "directory" },
    { name: "lib/modules/6.6.13/", type: "directory" },
    { name: "lib/modules/6.6.13/kernel/virtio_net.ko", data: "ELF-net", mode: 0o644 },
    { name: "lib/modules/6.6.13/modules.dep", data: "kernel/virtio_net.ko:\n" },
    { name: "lib/modules/6.6.13/build", type: "symlink", linkname: "/usr/src/linux" },
  ]);
}

async function kernelImage(extra: TestEntry[] = []): Promise<TestEntry[]> {
  return [
    { name: "kernel", data: KERNEL, mode: 0o600 },
    { name: "kernel.tar", data: await modulesTar() },
    { name: "System.map", data: "ffffffff81000000 T _text\n" },
    { name: "README", data: "dropped" },
    ...extra,
  ];
}

async function kernelLayer(
  entries: TestEntry[],
  kernel: Partial<KernelSpec>,
): Promise<{ result: Awaited<ReturnType<typeof addKernelLayer>>; entries: ReadEntry[] }> {
  return withSpool(async (spool) => {
    const result = await addKernelLayer(spool, await tarStream(entries, 4099), {
      image: IMAGE,
      ...kernel,
    });
    return { result, entries: await spoolEntries(spool) };
  });
}

describe("addKernelLayer", () => {
  it("puts the kernel at boot/kernel, the command line at boot/cmdline and unpacks the modules at /", async () => {
    const { result, entries } = await kernelLayer(await kernelImage(), {
      cmdline: "console=ttyS0 page_poison=1",
    });
    assert.deepEqual(names(entries), [
      "boot",
      "boot/cmdline",
      "boot/kernel",
      "lib",
      "lib/modules",
      "lib/modules/6.6.13",
      "lib/modules/6.6.13/build",
      "lib/modules/6.6.13/kernel",
      "lib/modules/6.6.13/kernel/virtio_net.ko",
      "lib/modules/6.6.13/modules.dep",
    ]);
    const m = byName(entries);
    assert.equal(m.get("boot/cmdline")?.data.toString(), "console=ttyS0 page_poison=1");
    assert.equal(m.get("boot/cmdline")?.header.mode, 0o644);
    assert.equal(sha256(m.get("boot/kernel")!.data), sha256(KERNEL));
    assert.equal(
      m.get("boot/kernel")?.header.mode,
      0o600,
      "the kernel keeps the image's mode, as in LinuxKit",
    );
    assert.equal(m.get("boot/kernel")?.header.mtime.getTime(), 0);
    assert.equal(m.get("boot")?.header.mode, 0o755);
    assert.equal(m.get("lib/modules/6.6.13/build")?.header.linkname, "/usr/src/linux");
    assert.equal(m.get("lib/modules/6.6.13/kernel/virtio_net.ko")?.data.toString(), "ELF-net");
    assert.deepEqual(result, { kernelSize: KERNEL.length, modules: 6, ucode: false });
  });

  it("writes an empty boot/cmdline when the spec has none", async () => {
    const { entries } = await kernelLayer(await kernelImage(), {});
    const cmdline = byName(entries).get("boot/cmdline");
    assert.equal(cmdline?.header.type, "file");
    assert.equal(cmdline?.data.length, 0);
  });

  it("adds the microcode archive as boot/ucode.cpio", async () => {
    const { result, entries } = await kernelLayer(
      await kernelImage([{ name: "ucode.cpio", data: UCODE }]),
      { ucode: "/ucode.cpio" },
    );
    assert.equal(sha256(byName(entries).get("boot/ucode.cpio")!.data), sha256(UCODE));
    assert.equal(result.ucode, true);
  });

  it("finds custom binary, tar and ucode names, written with or without ./ and /", async () => {
    const image: TestEntry[] = [
      { name: "./boot/", type: "directory" },
      { name: "./boot/vmlinuz-6.6", data: KERNEL },
      { name: "./mods/modules.tar", data: await modulesTar() },
      { name: "./intel-ucode.cpio", data: UCODE },
      { name: "./kernel", data: "a decoy named like the default" },
    ];
    const { result, entries } = await kernelLayer(image, {
      binary: "/boot/vmlinuz-6.6",
      tar: "mods/modules.tar",
      ucode: "./intel-ucode.cpio",
    });
    const m = byName(entries);
    assert.equal(sha256(m.get("boot/kernel")!.data), sha256(KERNEL));
    assert.equal(m.get("boot/ucode.cpio")?.data.length, UCODE.length);
    assert.equal(m.has("lib/modules/6.6.13/modules.dep"), true);
    assert.equal(m.has("boot/vmlinuz-6.6"), false, "only boot/kernel, not the original name");
    assert.equal(m.has("kernel"), false);
    assert.equal(result.kernelSize, KERNEL.length);
  });

  it("tar: none takes no modules, even when the image has a kernel.tar", async () => {
    const { result, entries } = await kernelLayer(await kernelImage(), { tar: "none" });
    assert.deepEqual(names(entries), ["boot", "boot/cmdline", "boot/kernel"]);
    assert.equal(result.modules, 0);
  });

  it("unpacks a modules tarball written by GNU tar (blocking padding after the end marker)", async () => {
    await withTmpDir(async (tmp) => {
      const src = path.join(tmp, "src");
      await mkdir(path.join(src, "lib/modules/6.6.13/kernel"), { recursive: true });
      await writeFile(path.join(src, "lib/modules/6.6.13/kernel/e1000.ko"), "ELF-e1000");
      await writeFile(path.join(src, "lib/modules/6.6.13/modules.order"), "kernel/e1000.ko\n");
      const tarFile = path.join(tmp, "kernel.tar");
      await run("tar", ["--sort=name", "--owner=0", "--group=0", "-cf", tarFile, "-C", src, "lib"]);
      const gnuBytes = await readFile(tarFile);
      assert.equal(gnuBytes.length % 10240, 0, "GNU tar pads to its record size");

      await withSpool(async (spool) => {
        await addKernelLayer(
          spool,
          await tarStream([
            { name: "kernel", data: "K" },
            { name: "kernel.tar", data: gnuBytes },
          ]),
          { image: IMAGE },
        );
        const root = await gnuExtract(await spoolBytes(spool), tmp);
        assert.equal(
          await readFile(path.join(root, "lib/modules/6.6.13/kernel/e1000.ko"), "utf8"),
          "ELF-e1000",
        );
        assert.equal(await readFile(path.join(root, "boot/kernel"), "utf8"), "K");
      });
    });
  });

  const failures: {
    title: string;
    entries: () => Promise<TestEntry[]>;
    kernel: Partial<KernelSpec>;
    field: string;
    message: RegExp;
  }[] = [
    {
      title: "no kernel binary",
      entries: async () => [{ name: "kernel.tar", data: await modulesTar() }],
      kernel: {},
      field: "kernel.binary",
      message: /has no kernel binary at \/kernel/,
    },
    {
      title: "no kernel binary under a custom name",
      entries: kernelImage,
      kernel: { binary: "bzImage" },
      field: "kernel.binary",
      message: /has no kernel binary at \/bzImage/,
    },
    {
      title: "no modules tarball",
      entries: async () => [{ name: "kernel", data: "K" }],
      kernel: {},
      field: "kernel.tar",
      message: /has no modules tarball at \/kernel.tar/,
    },
    {
      title: "no modules tarball under a custom name",
      entries: kernelImage,
      kernel: { tar: "modules.tar" },
      field: "kernel.tar",
      message: /has no modules tarball at \/modules.tar/,
    },
    {
      title: "no microcode archive",
      entries: kernelImage,
      kernel: { ucode: "intel-ucode.cpio" },
      field: "kernel.ucode",
      message: /has no microcode archive at \/intel-ucode.cpio/,
    },
  ];
  for (const f of failures) {
    it(`an image with ${f.title} is a BUILD error naming ${f.field} and the image`, async () => {
      const entries = await f.entries();
      await withSpool(async (spool) => {
        await assert.rejects(
          addKernelLayer(spool, await tarStream(entries), { image: IMAGE, ...f.kernel }),
          (e: unknown) => {
            assert.ok(e instanceof LinuxKitError);
            assert.equal(e.code, "BUILD");
            assert.equal(e.field, f.field);
            assert.equal(e.image, IMAGE);
            assert.match(e.message, f.message);
            assert.match(e.message, new RegExp(IMAGE.replace(/[.]/g, "\\.")));
            assert.ok(e.hint !== undefined && e.hint.length > 0);
            return true;
          },
        );
      });
    });
  }

  it("a corrupt modules tarball rejects instead of being half-unpacked silently", async () => {
    const good = await modulesTar();
    const corrupt = Buffer.from(good);
    corrupt.fill(0x41, 512, 1024); // garbage where the second header should be
    await withSpool(async (spool) => {
      await assert.rejects(
        addKernelLayer(
          spool,
          await tarStream([
            { name: "kernel", data: "K" },
            { name: "kernel.tar", data: corrupt },
          ]),
          { image: IMAGE },
        ),
      );
    });
  });
});

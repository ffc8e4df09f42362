import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { isLinuxKitError } from "../../../../components/errors/errors";
import { kernelInitrdFormat } from "../../../../components/formats/writers/kernel-initrd";
import type { Artifact, FormatContext } from "../../../../components/formats/blocks/types";
import { parseNewc } from "../../../helpers/formats/newc-parse";
import { cpioList, run } from "../../../helpers/formats/run";
import {
  CMDLINE,
  expectedCpioNames,
  KERNEL,
  rootfsEntries,
  writeTar,
  type FixtureEntry,
} from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";
import { makeUcodeCpio } from "../../../helpers/formats/ucode";

async function build(
  dir: string,
  entries: FixtureEntry[],
  options: FormatContext["options"] = {},
): Promise<Artifact[]> {
  const tarPath = path.join(dir, "rootfs.tar");
  await writeTar(tarPath, entries);
  const outputDir = path.join(dir, "out");
  run("mkdir", ["-p", outputDir]);
  return kernelInitrdFormat.write({
    name: "linuxkit",
    outputDir,
    rootfsTarPath: tarPath,
    tmpDir: path.join(dir, "tmp"),
    options,
  });
}

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

describe("kernel+initrd", () => {
  it("publishes <name>-kernel, <name>-initrd.img and <name>-cmdline with their size and sha256", async () => {
    await withTmpDir(async (dir) => {
      const artifacts = await build(dir, rootfsEntries());
      const out = path.join(dir, "out");
      assert.deepEqual(
        artifacts.map((a) => [a.format, path.relative(out, a.path)]),
        [
          ["kernel+initrd", "linuxkit-kernel"],
          ["kernel+initrd", "linuxkit-initrd.img"],
          ["kernel+initrd", "linuxkit-cmdline"],
        ],
      );
      assert.deepEqual((await readdir(out)).sort(), [
        "linuxkit-cmdline",
        "linuxkit-initrd.img",
        "linuxkit-kernel",
      ]);
      for (const a of artifacts) {
        const bytes = await readFile(a.path);
        assert.equal(a.size, bytes.length, `${a.path} size`);
        assert.equal(a.sha256, sha256(bytes), `${a.path} sha256`);
      }
      assert.deepEqual(
        kernelInitrdFormat.files("linuxkit"),
        artifacts.map((a) => path.basename(a.path)),
      );
      assert.deepEqual(await readdir(path.join(dir, "tmp")), [], "scratch files are removed");
    });
  });

  it("writes the kernel bytes and the command line exactly, with no newline added", async () => {
    await withTmpDir(async (dir) => {
      await build(dir, rootfsEntries());
      assert.ok((await readFile(path.join(dir, "out/linuxkit-kernel"))).equals(KERNEL));
      assert.ok((await readFile(path.join(dir, "out/linuxkit-cmdline"))).equals(CMDLINE));
    });
  });

  it("makes the initrd a gzip'd newc cpio of everything but boot/ files, keeping the boot directory", async () => {
    await withTmpDir(async (dir) => {
      await build(dir, rootfsEntries());
      const initrd = await readFile(path.join(dir, "out/linuxkit-initrd.img"));
      // gzip header: magic, deflate, no flags, mtime 0, XFL 4 (fastest, the
      // default level 1, as `gzip -1` writes it), OS Unix.
      assert.deepEqual([...initrd.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3]);
      assert.equal(initrd.length % 4, 0, "padded to 4 bytes like LinuxKit");
      const cpio = run("gzip", ["-dc"], { input: initrd });
      assert.deepEqual(cpioList(cpio), expectedCpioNames({ withBoot: false, ucode: false }));
      assert.equal(parseNewc(cpio).entries.at(-1)?.name, "TRAILER!!!");
    });
  });

  it("puts the microcode cpio first, uncompressed, then the gzip member", async () => {
    await withTmpDir(async (dir) => {
      const ucode = await makeUcodeCpio(dir);
      await build(dir, rootfsEntries(ucode));
      const initrd = await readFile(path.join(dir, "out/linuxkit-initrd.img"));
      assert.ok(
        initrd.subarray(0, ucode.length).equals(ucode),
        "ucode bytes come first, unchanged",
      );
      const rest = initrd.subarray(ucode.length);
      assert.deepEqual([...rest.subarray(0, 2)], [0x1f, 0x8b]);
      const names = cpioList(run("zcat", [], { input: rest }));
      assert.deepEqual(names, expectedCpioNames({ withBoot: false, ucode: false }));
      assert.ok(!names.includes("boot/ucode.cpio"));
      // The first archive (ucode) is what an early-microcode loader sees.
      assert.deepEqual(cpioList(initrd.subarray(0, ucode.length)), [
        "kernel",
        "kernel/x86",
        "kernel/x86/microcode",
        "kernel/x86/microcode/GenuineIntel.bin",
      ]);
    });
  });

  it("is deterministic and honours the gzip level", async () => {
    await withTmpDir(async (dir) => {
      const digest = async (level?: number): Promise<string | undefined> => {
        const sub = path.join(dir, `run-${Math.random().toString(16).slice(2)}`);
        run("mkdir", [sub]);
        const artifacts = await build(
          sub,
          rootfsEntries(),
          level === undefined ? {} : { gzipLevel: level },
        );
        return artifacts[1]?.sha256;
      };
      const a = await digest();
      assert.equal(a, await digest());
      assert.equal(a, await digest(1), "the default is level 1");
      const smaller = await digest(6);
      assert.notEqual(smaller, a);
      assert.equal(smaller, await digest(6));
      const stored = await digest(0);
      assert.notEqual(stored, a);
    });
  });

  it("rejects a gzip level outside 0-9 with a USAGE error and publishes nothing", async () => {
    await withTmpDir(async (dir) => {
      await assert.rejects(build(dir, rootfsEntries(), { gzipLevel: 11 }), (err: unknown) => {
        return isLinuxKitError(err) && err.code === "USAGE";
      });
      assert.deepEqual(await readdir(path.join(dir, "out")), []);
    });
  });

  it("fails with a BUILD error and publishes nothing when there is no boot/kernel", async () => {
    await withTmpDir(async (dir) => {
      const noKernel = rootfsEntries().filter((e) => e.name !== "boot/kernel");
      await assert.rejects(build(dir, noKernel), (err: unknown) => {
        return isLinuxKitError(err) && err.code === "BUILD" && /boot\/kernel/.test(err.message);
      });
      assert.deepEqual(await readdir(path.join(dir, "out")), []);
    });
  });

  it("publishes nothing when aborted", async () => {
    await withTmpDir(async (dir) => {
      const tarPath = path.join(dir, "rootfs.tar");
      await writeTar(tarPath, rootfsEntries());
      const outputDir = path.join(dir, "out");
      run("mkdir", [outputDir]);
      const ac = new AbortController();
      const writing = kernelInitrdFormat.write({
        name: "linuxkit",
        outputDir,
        rootfsTarPath: tarPath,
        tmpDir: path.join(dir, "tmp"),
        signal: ac.signal,
        options: {},
      });
      ac.abort();
      await assert.rejects(writing);
      assert.deepEqual(await readdir(outputDir), []);
    });
  });
});

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import * as tar from "tar-stream";
import { kernelInitrdFormat } from "../../../../components/formats/writers/kernel-initrd";
import { tarFormat } from "../../../../components/formats/writers/tar";
import { tarKernelInitrdFormat } from "../../../../components/formats/writers/tar-kernel-initrd";
import type { FormatContext, OutputFormat } from "../../../../components/formats/blocks/types";
import { cpioList, run } from "../../../helpers/formats/run";
import {
  CMDLINE,
  expectedCpioNames,
  FIXTURE_MTIME,
  KERNEL,
  rootfsEntries,
  writeTar,
} from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";
import { makeUcodeCpio } from "../../../helpers/formats/ucode";

interface Member {
  header: tar.Header;
  data: Buffer;
}

async function readTarMembers(bytes: Buffer): Promise<Member[]> {
  const extract = tar.extract();
  const members: Member[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const c of entry) parts.push(Buffer.from(c as Uint8Array));
      members.push({ header: entry.header, data: Buffer.concat(parts) });
    }
  })();
  extract.end(bytes);
  await reading;
  return members;
}

async function context(dir: string, ucode?: Buffer): Promise<FormatContext> {
  const rootfsTarPath = path.join(dir, "rootfs.tar");
  await writeTar(rootfsTarPath, rootfsEntries(ucode));
  const outputDir = path.join(dir, "out");
  run("mkdir", ["-p", outputDir]);
  return { name: "lk", outputDir, rootfsTarPath, tmpDir: path.join(dir, "tmp"), options: {} };
}

async function writeIn(format: OutputFormat, ctx: FormatContext): Promise<Buffer> {
  const [artifact, ...rest] = await format.write(ctx);
  assert.ok(artifact);
  assert.equal(rest.length, 0);
  assert.deepEqual(format.files(ctx.name), [path.basename(artifact.path)]);
  const bytes = await readFile(artifact.path);
  assert.equal(artifact.sha256, createHash("sha256").update(bytes).digest("hex"));
  assert.equal(artifact.size, bytes.length);
  return bytes;
}

describe("tar", () => {
  it("publishes <name>.tar: the root filesystem tar unchanged, boot/ included", async () => {
    await withTmpDir(async (dir) => {
      const ctx = await context(dir);
      const bytes = await writeIn(tarFormat, ctx);
      assert.ok(bytes.equals(await readFile(ctx.rootfsTarPath)));
      assert.deepEqual(await readdir(ctx.outputDir), ["lk.tar"]);
    });
  });
});

describe("tar-kernel-initrd", () => {
  it("publishes <name>-initrd.tar holding kernel, initrd.img, cmdline, ucode.cpio (0644, kernel mtime)", async () => {
    await withTmpDir(async (dir) => {
      const ucode = await makeUcodeCpio(dir);
      const ctx = await context(dir, ucode);
      const members = await readTarMembers(await writeIn(tarKernelInitrdFormat, ctx));
      assert.deepEqual(await readdir(ctx.outputDir), ["lk-initrd.tar"]);
      assert.deepEqual(
        members.map((m) => m.header.name),
        ["kernel", "initrd.img", "cmdline", "ucode.cpio"],
      );
      for (const m of members) {
        assert.equal(m.header.type, "file");
        assert.equal(m.header.mode, 0o644);
        assert.equal(m.header.mtime.getTime() / 1000, FIXTURE_MTIME);
        assert.deepEqual([m.header.uid, m.header.gid], [0, 0]);
      }
      const [kernel, initrd, cmdline, ucodeMember] = members;
      assert.ok(kernel?.data.equals(KERNEL));
      assert.ok(cmdline?.data.equals(CMDLINE));
      assert.ok(ucodeMember?.data.equals(ucode));
      // initrd.img has no microcode in front: LinuxKit ships it separately in this format.
      assert.deepEqual([...(initrd?.data.subarray(0, 2) ?? [])], [0x1f, 0x8b]);
      assert.deepEqual(
        cpioList(run("gzip", ["-dc"], { input: initrd?.data })),
        expectedCpioNames({ withBoot: false, ucode: false }),
      );
      // ...and is the same bytes kernel+initrd publishes after the microcode.
      const [, full] = await kernelInitrdFormat.write(ctx);
      assert.ok(full);
      assert.ok(
        (await readFile(full.path)).subarray(ucode.length).equals(initrd?.data ?? Buffer.alloc(0)),
      );
    });
  });

  it("leaves out empty members as LinuxKit does (no ucode.cpio without microcode)", async () => {
    await withTmpDir(async (dir) => {
      const ctx = await context(dir);
      const members = await readTarMembers(await writeIn(tarKernelInitrdFormat, ctx));
      assert.deepEqual(
        members.map((m) => m.header.name),
        ["kernel", "initrd.img", "cmdline"],
      );
    });
  });

  it("is deterministic", async () => {
    await withTmpDir(async (dir) => {
      const ctx = await context(dir);
      const a = await writeIn(tarKernelInitrdFormat, ctx);
      const b = await writeIn(tarKernelInitrdFormat, ctx);
      assert.ok(a.equals(b));
    });
  });
});

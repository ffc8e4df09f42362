/**
 * kernel+squashfs: the kernel, the command line and a squashfs of the root
 * filesystem without boot/, made by mksquashfs from the tar (no root, no
 * extraction); the same bytes every time; the listing matches the tar.
 * No boot test: Debian's cloud kernel has squashfs and virtio_blk only as
 * modules, so it cannot mount a squashfs root without an initramfs.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, readFile, symlink } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { isLinuxKitError } from "../../../../components/errors/errors";
import { kernelSquashfsFormat } from "../../../../components/formats/writers/kernel-squashfs";
import { formatTable, PLANNED_FORMATS } from "../../../../components/formats/table";
import { findOnPath } from "../../../../components/formats/blocks/tools";
import type { Artifact } from "../../../../components/formats/blocks/types";
import {
  CMDLINE,
  KERNEL,
  rootfsEntries,
  writeTar,
  type FixtureEntry,
} from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";

const haveTools =
  spawnSync("mksquashfs", ["-version"]).status === 0 &&
  spawnSync("unsquashfs", ["-help"]).error === undefined;

function entries(): FixtureEntry[] {
  return [
    ...rootfsEntries(),
    { name: "odd", type: "directory" as const, mode: 0o750, uid: 7, gid: 8 },
    { name: "odd/new\nline", type: "file" as const, data: Buffer.from("nl") },
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
}

function modeString(e: FixtureEntry): string {
  const mode = e.mode ?? (e.type === "directory" ? 0o755 : e.type === "symlink" ? 0o777 : 0o644);
  const kind: Record<FixtureEntry["type"], string> = {
    file: "-",
    link: "-",
    directory: "d",
    symlink: "l",
    "character-device": "c",
    "block-device": "b",
    fifo: "p",
  };
  const bits = "rwxrwxrwx".split("").map((c, i) => ((mode >> (8 - i)) & 1 ? c : "-"));
  const special = (i: number, flag: number, on: string): void => {
    if (mode & flag) bits[i] = bits[i] === "x" ? on : on.toUpperCase();
  };
  special(2, 0o4000, "s");
  special(5, 0o2000, "s");
  special(8, 0o1000, "t");
  return kind[e.type] + bits.join("");
}

interface Listed {
  mode: string;
  owner: string;
  target?: string;
}

/** `unsquashfs -lln` as name → mode, owner and symlink target. */
function listing(img: string): Map<string, Listed> {
  const r = spawnSync("unsquashfs", ["-lln", img], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, Listed>();
  // One entry per line, except names holding a newline: split on the entry pattern.
  const re =
    /^([-dlcbps][-rwxsStT]{9}) (\d+\/\d+) +(?:\d+|\d+, +\d+) \d{4}-\d\d-\d\d \d\d:\d\d squashfs-root(.*?)(?: -> (.*?))?$(?=\n[-dlcbps][-rwxsStT]{9} |\n?$(?![\s\S]))/gms;
  for (const m of r.stdout.matchAll(re)) {
    const name = (m[3] ?? "").replace(/^\//, "");
    out.set(name, { mode: m[1] ?? "", owner: m[2] ?? "", target: m[4] });
  }
  return out;
}

async function writeOnce(dir: string, tarPath: string, run: string): Promise<Artifact[]> {
  const outputDir = path.join(dir, `out-${run}`);
  await mkdir(outputDir, { recursive: true });
  return kernelSquashfsFormat.write({
    name: "lk",
    outputDir,
    rootfsTarPath: tarPath,
    tmpDir: path.join(dir, `tmp-${run}`),
    options: {},
  });
}

describe("kernel+squashfs", () => {
  it("is in the table with LinuxKit's file names", () => {
    assert.equal(formatTable.get("kernel+squashfs"), kernelSquashfsFormat);
    assert.ok(!PLANNED_FORMATS.includes("kernel+squashfs"));
    assert.deepEqual(kernelSquashfsFormat.files("lk"), [
      "lk-kernel",
      "lk-squashfs.img",
      "lk-cmdline",
    ]);
    assert.deepEqual(kernelSquashfsFormat.requiredTools, [
      { command: "mksquashfs", debianPackage: "squashfs-tools" },
    ]);
  });

  it(
    "writes the kernel, the command line and a reproducible squashfs matching the tar",
    { skip: haveTools ? false : "squashfs-tools not installed" },
    async () => {
      await withTmpDir(async (dir) => {
        const tarPath = path.join(dir, "rootfs.tar");
        const all = entries();
        await writeTar(tarPath, all);
        const first = await writeOnce(dir, tarPath, "1");
        const second = await writeOnce(dir, tarPath, "2");
        assert.deepEqual(
          first.map((a) => [path.basename(a.path), a.size, a.sha256]),
          second.map((a) => [path.basename(a.path), a.size, a.sha256]),
          "same tar, same bytes",
        );
        const [kernel, img, cmdline] = first as [Artifact, Artifact, Artifact];
        assert.deepEqual(await readFile(kernel.path), KERNEL);
        assert.deepEqual(await readFile(cmdline.path), CMDLINE);
        assert.equal((await readFile(img.path)).subarray(0, 4).toString("latin1"), "hsqs");

        const listed = listing(img.path);
        assert.equal(listed.get("")?.mode, "drwxr-xr-x");
        assert.equal(listed.get("")?.owner, "0/0");
        for (const e of all) {
          const got = listed.get(e.name);
          if (e.name.startsWith("boot/")) {
            assert.equal(got, undefined, `${e.name} left out`);
            continue;
          }
          assert.ok(got, `${JSON.stringify(e.name)} in the squashfs`);
          assert.equal(got.mode, modeString(e), e.name);
          assert.equal(got.owner, `${e.uid ?? 0}/${e.gid ?? 0}`, e.name);
          if (e.type === "symlink") assert.equal(got.target, e.linkname, e.name);
        }
        assert.ok(listed.has("boot"), "the boot directory itself stays, as in the initrd");
        assert.ok(listed.has("deep/nested"), "implied parents are made");
        const expectedNames = new Set([
          "",
          ...all.filter((e) => !e.name.startsWith("boot/")).map((e) => e.name),
          "deep",
          "deep/nested",
          "deep/nested/dir",
          "long",
          "long/" + "d".repeat(120),
          "spaces and ünïcødé",
        ]);
        assert.deepEqual([...listed.keys()].sort(), [...expectedNames].sort());

        // Contents and hard links, read back with unsquashfs (no root needed for regular files).
        const x = path.join(dir, "x");
        const r = spawnSync("unsquashfs", ["-no-xattrs", "-d", x, img.path, "a-dir", "links"], {
          encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(await readFile(path.join(x, "links/hard-a"), "utf8"), "hello, initramfs\n");
        const st = spawnSync(
          "stat",
          ["-c", "%h %i", path.join(x, "links/hard-a"), path.join(x, "a-dir/hello.txt")],
          { encoding: "utf8" },
        );
        const [a, b] = st.stdout.trim().split("\n");
        assert.equal(a, b, "hard links share an inode");
      });
    },
  );

  it("fails with TOOL_MISSING naming squashfs-tools when mksquashfs is not on PATH", async () => {
    await withTmpDir(async (dir) => {
      const tarPath = path.join(dir, "rootfs.tar");
      await writeTar(tarPath, rootfsEntries());
      // A PATH holding everything but mksquashfs: node itself only.
      const bin = path.join(dir, "bin");
      await mkdir(bin);
      await symlink(process.execPath, path.join(bin, "node"));
      const saved = process.env.PATH;
      process.env.PATH = bin;
      try {
        assert.equal(await findOnPath("mksquashfs"), undefined);
        await assert.rejects(
          writeOnce(dir, tarPath, "1"),
          (err: unknown) =>
            isLinuxKitError(err) &&
            err.code === "TOOL_MISSING" &&
            /mksquashfs/.test(err.message) &&
            /apt-get install squashfs-tools/.test(err.message),
        );
      } finally {
        process.env.PATH = saved;
      }
    });
  });
});

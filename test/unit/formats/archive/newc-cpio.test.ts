import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstat, readFile, readlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { isLinuxKitError } from "../../../../components/errors/errors";
import { tarToCpio } from "../../../../components/formats/blocks/newc-cpio";
import {
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFREG,
} from "../../../../components/formats/blocks/newc";
import { collector } from "../../../helpers/formats/collect";
import { parseNewc, type ParsedEntry } from "../../../helpers/formats/newc-parse";
import { cpioList, run } from "../../../helpers/formats/run";
import {
  expectedCpioNames,
  FIXTURE_MTIME,
  HELLO,
  LARGE,
  LONG_FILE,
  rootfsEntries,
  UNICODE_FILE,
  writeTar,
  type FixtureEntry,
} from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";

async function convert(
  dir: string,
  entries: FixtureEntry[],
  skip?: (name: string) => boolean,
  dirSlash = true,
): Promise<Buffer> {
  const tarPath = path.join(dir, `rootfs-${Math.random().toString(16).slice(2)}.tar`);
  await writeTar(tarPath, entries, { dirSlash });
  const out = collector();
  await tarToCpio(tarPath, out.stream, { skip });
  return out.bytes();
}

function byName(entries: ParsedEntry[]): Map<string, ParsedEntry> {
  return new Map(entries.map((e) => [e.name, e]));
}

function get(map: Map<string, ParsedEntry>, name: string): ParsedEntry {
  const e = map.get(name);
  assert.ok(e, `no entry ${name}`);
  return e;
}

describe("tarToCpio", () => {
  it("lists every tar entry in tar order, with missing parents synthesised first (cpio -t)", async () => {
    await withTmpDir(async (dir) => {
      const cpio = await convert(dir, rootfsEntries(Buffer.from("ucode")));
      assert.deepEqual(cpioList(cpio), expectedCpioNames({ withBoot: true, ucode: true }));
    });
  });

  it("writes newc headers with sequential inodes, type bits, fixed mtime and zero check fields", async () => {
    await withTmpDir(async (dir) => {
      const archive = parseNewc(await convert(dir, rootfsEntries()));
      const entries = archive.entries.slice(0, -1);
      const e = byName(entries);
      // Inodes count up from 1 in archive order; later hard links reuse their target's.
      const later = new Set(["links/hard-a", "links/hard-b", "links/hard-empty"]);
      assert.deepEqual(
        entries.filter((x) => !later.has(x.name)).map((x) => x.ino),
        entries.filter((x) => !later.has(x.name)).map((_, i) => i + 1),
      );
      for (const x of archive.entries) {
        assert.equal(x.check, 0, `${x.name} check`);
        assert.equal(x.devMajor, 0);
        assert.equal(x.devMinor, 0);
        assert.equal(x.nameSize, Buffer.byteLength(x.name) + 1, `${x.name} namesize`);
      }
      for (const x of entries) assert.equal(x.mtime, FIXTURE_MTIME, `${x.name} mtime`);
      assert.equal(get(e, "a-dir").mode, S_IFDIR | 0o755);
      assert.equal(get(e, "a-dir").nlink, 2);
      assert.equal(get(e, "a-dir/large.bin").mode, S_IFREG | 0o600);
      assert.equal(get(e, "a-dir/large.bin").fileSize, LARGE.length);
      assert.ok(get(e, "a-dir/large.bin").data.equals(LARGE));
      const setuid = get(e, "a-dir/setuid");
      assert.deepEqual([setuid.mode, setuid.uid, setuid.gid], [S_IFREG | 0o4755, 100, 101]);
      assert.equal(get(e, "z-tmp").mode, S_IFDIR | 0o1777);
      const sym = get(e, "links/sym");
      assert.equal(sym.mode & 0o170000, S_IFLNK);
      assert.equal(sym.data.toString(), "../a-dir/hello.txt");
      const devNull = get(e, "dev/null");
      assert.deepEqual(
        [devNull.mode, devNull.rdevMajor, devNull.rdevMinor, devNull.fileSize],
        [S_IFCHR | 0o666, 1, 3, 0],
      );
      const sda = get(e, "dev/sda");
      assert.deepEqual([sda.mode, sda.rdevMajor, sda.rdevMinor], [S_IFBLK | 0o660, 8, 0]);
      assert.equal(get(e, "dev/pipe").mode, S_IFIFO | 0o600);
      const synthesised = get(e, "deep/nested");
      assert.deepEqual(
        [synthesised.mode, synthesised.uid, synthesised.gid],
        [S_IFDIR | 0o755, 0, 0],
      );
    });
  });

  it("gives hard links one inode and the full link count, data on the first name only", async () => {
    await withTmpDir(async (dir) => {
      const e = byName(parseNewc(await convert(dir, rootfsEntries())).entries);
      const first = get(e, "a-dir/hello.txt");
      assert.equal(first.nlink, 3);
      assert.ok(first.data.equals(HELLO));
      for (const name of ["links/hard-a", "links/hard-b"]) {
        const link = get(e, name);
        assert.deepEqual(
          [link.ino, link.nlink, link.mode, link.fileSize],
          [first.ino, 3, first.mode, 0],
        );
      }
      const empty = get(e, "a-dir/empty");
      assert.deepEqual([empty.nlink, get(e, "links/hard-empty").ino], [2, empty.ino]);
      assert.equal(get(e, "a-dir/odd").nlink, 1);
    });
  });

  it("ends with TRAILER!!! and pads the archive to a multiple of 512 bytes with zeros", async () => {
    await withTmpDir(async (dir) => {
      const bytes = await convert(dir, rootfsEntries());
      const archive = parseNewc(bytes);
      const trailer = archive.entries.at(-1);
      assert.equal(trailer?.name, "TRAILER!!!");
      assert.deepEqual(
        [trailer?.ino, trailer?.mode, trailer?.nlink, trailer?.fileSize],
        [0, 0, 1, 0],
      );
      assert.equal(bytes.length % 512, 0);
      assert.ok(bytes.subarray(archive.endOfTrailer).every((b) => b === 0));
      assert.ok(bytes.length - archive.endOfTrailer < 512);
    });
  });

  it("extracts with GNU cpio -idm to the same bytes, modes, owners, mtimes, symlinks and shared inodes", async () => {
    await withTmpDir(async (dir) => {
      const cpio = await convert(dir, rootfsEntries(), (n) => n.startsWith("dev/"));
      const root = path.join(dir, "root");
      run("mkdir", [root]);
      run("cpio", ["-idm", "--no-absolute-filenames", "--quiet"], { input: cpio, cwd: root });
      const files: Array<[string, Buffer, number]> = [
        ["a-dir/empty", Buffer.alloc(0), 0o644],
        ["a-dir/hello.txt", HELLO, 0o644],
        ["a-dir/large.bin", LARGE, 0o600],
        ["a-dir/odd", Buffer.from("odd"), 0o644],
        ["a-dir/setuid", Buffer.from("#!/bin/sh\n"), 0o4755],
        ["deep/nested/dir/file.txt", Buffer.from("deep\n"), 0o644],
        ["links/hard-a", HELLO, 0o644],
        ["links/hard-b", HELLO, 0o644],
        ["links/hard-empty", Buffer.alloc(0), 0o644],
        [LONG_FILE, Buffer.from("long\n"), 0o644],
        [UNICODE_FILE, Buffer.from("unicode\n"), 0o644],
      ];
      for (const [name, data, mode] of files) {
        const p = path.join(root, name);
        assert.ok((await readFile(p)).equals(data), `${name} contents`);
        const st = await lstat(p);
        assert.equal(st.mode & 0o7777, mode, `${name} mode`);
        assert.equal(Math.floor(st.mtimeMs / 1000), FIXTURE_MTIME, `${name} mtime`);
      }
      if (process.getuid?.() === 0) {
        const st = await lstat(path.join(root, "a-dir/setuid"));
        assert.deepEqual([st.uid, st.gid], [100, 101]);
      }
      assert.equal(await readlink(path.join(root, "links/sym")), "../a-dir/hello.txt");
      assert.equal(await readlink(path.join(root, "links/sym-abs")), "/etc/passwd");
      const target = await lstat(path.join(root, "a-dir/hello.txt"));
      assert.equal(target.nlink, 3);
      for (const l of ["links/hard-a", "links/hard-b"])
        assert.equal((await lstat(path.join(root, l))).ino, target.ino);
      const empty = await lstat(path.join(root, "a-dir/empty"));
      assert.equal((await lstat(path.join(root, "links/hard-empty"))).ino, empty.ino);
      assert.equal((await lstat(path.join(root, "z-tmp"))).mode & 0o7777, 0o1777);
      assert.equal((await lstat(path.join(root, "deep/nested"))).mode & 0o7777, 0o755);
    });
  });

  it("is deterministic: converting twice gives the same sha256", async () => {
    await withTmpDir(async (dir) => {
      const a = await convert(dir, rootfsEntries(Buffer.from("u")));
      const b = await convert(dir, rootfsEntries(Buffer.from("u")));
      const digest = (x: Buffer): string => createHash("sha256").update(x).digest("hex");
      assert.equal(digest(a), digest(b));
    });
  });

  it("leaves out skipped entries but still creates their parents for kept children", async () => {
    await withTmpDir(async (dir) => {
      const names = cpioList(
        await convert(dir, rootfsEntries(), (n) => n === "a-dir" || n.startsWith("links/")),
      );
      assert.equal(names[0], "a-dir", "a skipped directory is recreated as 0755 for its children");
      assert.ok(!names.some((n) => n.startsWith("links/")));
      assert.ok(names.includes("links"));
    });
  });

  for (const dirSlash of [true, false]) {
    it(`accepts ./-prefixed names and directory names ${dirSlash ? "with" : "without"} a trailing slash`, async () => {
      await withTmpDir(async (dir) => {
        const entries: FixtureEntry[] = [
          { name: "./", type: "directory" },
          { name: "./etc", type: "directory", mode: 0o700 },
          { name: "./etc/hosts", type: "file", data: Buffer.from("127.0.0.1 localhost\n") },
        ];
        const archive = parseNewc(await convert(dir, entries, undefined, dirSlash));
        assert.deepEqual(
          archive.entries.map((e) => [e.name, e.mode]),
          [
            ["etc", S_IFDIR | 0o700],
            ["etc/hosts", S_IFREG | 0o644],
            ["TRAILER!!!", 0],
          ],
        );
      });
    });
  }

  it("turns a hard link to a symlink into a copy of the symlink", async () => {
    await withTmpDir(async (dir) => {
      const e = byName(
        parseNewc(
          await convert(dir, [
            { name: "a", type: "symlink", linkname: "target" },
            { name: "b", type: "link", linkname: "a" },
          ]),
        ).entries,
      );
      assert.equal(get(e, "b").mode & 0o170000, S_IFLNK);
      assert.equal(get(e, "b").data.toString(), "target");
      assert.notEqual(get(e, "b").ino, get(e, "a").ino);
    });
  });

  it("fails with a BUILD error naming the link when a hard link's target is missing", async () => {
    await withTmpDir(async (dir) => {
      await assert.rejects(
        convert(dir, [{ name: "orphan", type: "link", linkname: "nowhere" }]),
        (err: unknown) =>
          isLinuxKitError(err) && err.code === "BUILD" && /orphan/.test(err.message),
      );
    });
  });

  it("rejects a truncated tar", async () => {
    await withTmpDir(async (dir) => {
      const tarPath = path.join(dir, "whole.tar");
      await writeTar(tarPath, [{ name: "big", type: "file", data: LARGE }]);
      const cut = path.join(dir, "cut.tar");
      await writeFile(cut, (await readFile(tarPath)).subarray(0, 4096));
      await assert.rejects(tarToCpio(cut, collector().stream));
    });
  });
});

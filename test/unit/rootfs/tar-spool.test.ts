import assert from "node:assert/strict";
import { readFile, readlink, stat } from "node:fs/promises";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, it } from "node:test";

import { completeHeader, FIXED_MTIME, type TarHeader } from "../../../components/tar/tar-header";
import type { TarSpool } from "../../../components/tar/tar-spool";
import {
  byName,
  chunked,
  gnuExtract,
  gnuList,
  names,
  pseudoRandom,
  sha256,
  spoolBytes,
  spoolEntries,
  withSpool,
  withTmpDir,
} from "./helpers/tar";

const MTIME = 1_600_000_000;

function file(name: string, size: number, extra: Partial<TarHeader> = {}): TarHeader {
  return completeHeader({
    name,
    type: "file",
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: MTIME,
    size,
    ...extra,
  });
}

function dir(name: string, extra: Partial<TarHeader> = {}): TarHeader {
  return completeHeader({
    name,
    type: "directory",
    mode: 0o755,
    uid: 0,
    gid: 0,
    mtime: MTIME,
    ...extra,
  });
}

function hardLink(name: string, target: string): TarHeader {
  return completeHeader({
    name,
    type: "link",
    linkname: target,
    mode: 0o644,
    uid: 0,
    gid: 0,
    mtime: MTIME,
  });
}

async function addText(
  spool: TarSpool,
  name: string,
  text: string,
  extra: Partial<TarHeader> = {},
): Promise<void> {
  const data = Buffer.from(text);
  await spool.addStream(file(name, data.length, extra), Readable.from([data]));
}

describe("TarSpool: last write wins", () => {
  const cases: {
    title: string;
    add: (s: TarSpool) => Promise<void>;
    type: string;
    data?: string;
    linkname?: string;
  }[] = [
    {
      title: "a file rewritten holds the later bytes and header",
      add: async (s) => {
        await addText(s, "etc/motd", "first\n", { mode: 0o600 });
        await addText(s, "etc/motd", "second, longer\n", { mode: 0o640, uid: 7 });
      },
      type: "file",
      data: "second, longer\n",
    },
    {
      title: "a file replaced by a symlink is a symlink",
      add: async (s) => {
        await addText(s, "etc/motd", "text");
        await s.addBuffer({
          name: "etc/motd",
          type: "symlink",
          linkname: "/run/motd",
          mode: 0o777,
          uid: 0,
          gid: 0,
          mtime: MTIME,
        });
      },
      type: "symlink",
      linkname: "/run/motd",
    },
    {
      title: "a file replaced by a directory is a directory",
      add: async (s) => {
        await s.addBuffer(
          { name: "etc/motd", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: MTIME },
          Buffer.from("x"),
        );
        await s.addStream(dir("etc/motd"), undefined);
      },
      type: "directory",
    },
    {
      title: "a symlink replaced by a file is a file",
      add: async (s) => {
        await s.addBuffer({
          name: "etc/motd",
          type: "symlink",
          linkname: "x",
          mode: 0o777,
          uid: 0,
          gid: 0,
          mtime: MTIME,
        });
        await addText(s, "etc/motd", "now a file");
      },
      type: "file",
      data: "now a file",
    },
  ];
  for (const c of cases) {
    it(c.title, async () => {
      await withSpool(async (spool) => {
        await c.add(spool);
        const entries = await spoolEntries(spool);
        assert.deepEqual(names(entries), ["etc", "etc/motd"], "one entry per path");
        const motd = byName(entries).get("etc/motd")!;
        assert.equal(motd.header.type, c.type);
        if (c.data !== undefined) assert.equal(motd.data.toString(), c.data);
        if (c.linkname !== undefined) assert.equal(motd.header.linkname, c.linkname);
      });
    });
  }

  it("the later header's mode and owner win too", async () => {
    await withSpool(async (spool) => {
      await addText(spool, "f", "a", { mode: 0o600, uid: 1, gid: 2 });
      await addText(spool, "f", "b", { mode: 0o4750, uid: 3, gid: 4 });
      const [f] = await spoolEntries(spool);
      assert.deepEqual(
        { mode: f!.header.mode, uid: f!.header.uid, gid: f!.header.gid },
        { mode: 0o4750, uid: 3, gid: 4 },
      );
    });
  });

  it("get/has/size describe the current entry of each path", async () => {
    await withSpool(async (spool) => {
      await addText(spool, "a/b", "1");
      await addText(spool, "a/b", "22");
      assert.equal(spool.size, 1);
      assert.equal(spool.has("a/b"), true);
      assert.equal(spool.has("a"), false, "parents are only synthesized when writing");
      assert.equal(spool.get("a/b")?.size, 2);
      assert.equal(spool.get("nope"), undefined);
    });
  });
});

describe("TarSpool: order and parents", () => {
  it("writes entries sorted by byte order, whatever order they were added in", async () => {
    const added = ["é", "b/c", "Z", "a.b", "a/b", "a-b", "a", "b", "a/b/c", "_"];
    await withSpool(async (spool) => {
      for (const n of added)
        await addText(spool, n === "a" || n === "b" || n === "a/b" ? `${n}/.keep` : n, n);
      const got = names(await spoolEntries(spool));
      const sorted = [...got].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      assert.deepEqual(got, sorted);
      // '-' and '.' sort before '/', so a/... follows a-b and a.b; 'é' (0xc3) comes last.
      assert.deepEqual(got, [
        "Z",
        "_",
        "a",
        "a-b",
        "a.b",
        "a/.keep",
        "a/b",
        "a/b/.keep",
        "a/b/c",
        "b",
        "b/.keep",
        "b/c",
        "é",
      ]);
    });
  });

  it("every entry's parent directories come before it", async () => {
    await withSpool(async (spool) => {
      for (const n of ["z/y/x/w", "a/b", "a/b-c/d", "a/b/c", "m/n.o/p"]) await addText(spool, n, n);
      const got = names(await spoolEntries(spool));
      got.forEach((name, i) => {
        const parts = name.split("/");
        for (let d = 1; d < parts.length; d++) {
          const parent = parts.slice(0, d).join("/");
          const at = got.indexOf(parent);
          assert.ok(at >= 0 && at < i, `${parent} must come before ${name}`);
        }
      });
    });
  });

  it("synthesizes missing parents as root-owned 0755 directories with the fixed mtime", async () => {
    await withSpool(async (spool) => {
      await addText(spool, "usr/share/doc/x/README", "hi", { uid: 1000, gid: 1000, mode: 0o600 });
      const entries = await spoolEntries(spool);
      assert.deepEqual(names(entries), [
        "usr",
        "usr/share",
        "usr/share/doc",
        "usr/share/doc/x",
        "usr/share/doc/x/README",
      ]);
      for (const e of entries.slice(0, 4)) {
        assert.equal(e.header.type, "directory");
        assert.equal(e.header.mode, 0o755);
        assert.equal(e.header.uid, 0);
        assert.equal(e.header.gid, 0);
        assert.equal(e.header.mtime.getTime(), FIXED_MTIME * 1000);
      }
    });
  });

  it("keeps a parent that was added explicitly, with its own mode and owner", async () => {
    await withSpool(async (spool) => {
      await spool.addStream(dir("home/user", { mode: 0o700, uid: 1000, gid: 100 }), undefined);
      await addText(spool, "home/user/.profile", "x");
      const home = byName(await spoolEntries(spool));
      assert.equal(home.get("home")?.header.mode, 0o755, "synthesized");
      assert.deepEqual(
        [
          home.get("home/user")?.header.mode,
          home.get("home/user")?.header.uid,
          home.get("home/user")?.header.gid,
        ],
        [0o700, 1000, 100],
      );
    });
  });
});

describe("TarSpool: hard links", () => {
  it("the first name in sorted order holds the data and later names link to it", async () => {
    await withSpool(async (spool) => {
      await addText(spool, "bin/busybox", "BUSYBOX", { mode: 0o755 });
      await spool.addStream(hardLink("bin/sh", "bin/busybox"), undefined);
      await spool.addStream(hardLink("sbin/init", "bin/busybox"), undefined);
      const m = byName(await spoolEntries(spool));
      assert.equal(m.get("bin/busybox")?.header.type, "file");
      assert.equal(m.get("bin/busybox")?.data.toString(), "BUSYBOX");
      for (const n of ["bin/sh", "sbin/init"]) {
        assert.equal(m.get(n)?.header.type, "link", n);
        assert.equal(m.get(n)?.header.linkname, "bin/busybox", n);
        assert.equal(m.get(n)?.header.size, 0, n);
        assert.equal(m.get(n)?.header.mode, 0o755, `${n} shares the target's mode`);
      }
    });
  });

  it("a link whose name sorts before its target holds the data; the target becomes the link", async () => {
    await withSpool(async (spool) => {
      await addText(spool, "z/target", "DATA");
      await spool.addStream(hardLink("a/link", "z/target"), undefined);
      const bytes = await spoolBytes(spool);
      const m = byName(await spoolEntries(spool));
      assert.equal(m.get("a/link")?.header.type, "file");
      assert.equal(m.get("a/link")?.data.toString(), "DATA");
      assert.equal(m.get("z/target")?.header.type, "link");
      assert.equal(m.get("z/target")?.header.linkname, "a/link");

      await withTmpRoot(bytes, async (root) => {
        const [a, z] = await Promise.all([
          stat(path.join(root, "a/link")),
          stat(path.join(root, "z/target")),
        ]);
        assert.equal(a.ino, z.ino, "GNU tar extracts one inode");
        assert.equal(a.nlink, 2);
        assert.equal(await readFile(path.join(root, "z/target"), "utf8"), "DATA");
      });
    });
  });

  it("a link to a target overwritten later keeps the bytes the target had when linked", async () => {
    await withSpool(async (spool) => {
      await addText(spool, "etc/t", "old bytes");
      await spool.addStream(hardLink("etc/l", "etc/t"), undefined);
      await addText(spool, "etc/t", "new");
      const m = byName(await spoolEntries(spool));
      assert.equal(m.get("etc/l")?.header.type, "file", "no longer shares data with etc/t");
      assert.equal(m.get("etc/l")?.data.toString(), "old bytes");
      assert.equal(m.get("etc/t")?.header.type, "file");
      assert.equal(m.get("etc/t")?.data.toString(), "new");
    });
  });

  it("a link rewritten as a plain file stops sharing data", async () => {
    await withSpool(async (spool) => {
      await addText(spool, "t", "target");
      await spool.addStream(hardLink("l", "t"), undefined);
      await addText(spool, "l", "own");
      const m = byName(await spoolEntries(spool));
      assert.equal(m.get("l")?.data.toString(), "own");
      assert.equal(m.get("t")?.header.type, "file");
      assert.equal(m.get("t")?.data.toString(), "target");
    });
  });

  it("drops links to missing targets and to non-files (they could not be extracted)", async () => {
    await withSpool(async (spool) => {
      await spool.addStream(dir("d"), undefined);
      await spool.addStream(hardLink("to-missing", "nowhere"), undefined);
      await spool.addStream(hardLink("to-dir", "d"), undefined);
      assert.deepEqual(names(await spoolEntries(spool)), ["d"]);
    });
  });
});

describe("TarSpool: bodies", () => {
  it("streams a file larger than 2 MiB intact (from many small chunks), also through a hard link", async () => {
    const big = pseudoRandom(5 * 1024 * 1024 + 123, "big");
    await withSpool(async (spool, tmp) => {
      await addText(spool, "before", "b");
      await spool.addStream(file("opt/big.bin", big.length), chunked(big, 64 * 1024 + 7));
      await spool.addStream(hardLink("opt/big-link", "opt/big.bin"), undefined);
      await addText(spool, "zzz", "after");
      const bytes = await spoolBytes(spool);
      const m = byName(await spoolEntries(spool));
      // "opt/big-link" < "opt/big.bin" ('-' < '.'), so the link name holds the data.
      assert.equal(m.get("opt/big-link")?.header.size, big.length);
      assert.equal(sha256(m.get("opt/big-link")!.data), sha256(big));
      assert.equal(m.get("opt/big.bin")?.header.type, "link");
      assert.equal(m.get("zzz")?.data.toString(), "after", "entries after the big one are aligned");
      const root = await gnuExtract(bytes, tmp);
      assert.equal(sha256(await readFile(path.join(root, "opt/big.bin"))), sha256(big));
    });
  });

  it("keeps zero-length files from an empty stream and from an absent buffer", async () => {
    await withSpool(async (spool, tmp) => {
      await spool.addStream(file("empty-stream", 0), Readable.from([]));
      await spool.addBuffer({
        name: "empty-buffer",
        type: "file",
        mode: 0o600,
        uid: 0,
        gid: 0,
        mtime: MTIME,
      });
      const entries = await spoolEntries(spool);
      assert.deepEqual(
        entries.map((e) => [e.header.name, e.header.type, e.header.size, e.data.length]),
        [
          ["empty-buffer", "file", 0, 0],
          ["empty-stream", "file", 0, 0],
        ],
      );
      const root = await gnuExtract(await spoolBytes(spool), tmp);
      assert.equal((await stat(path.join(root, "empty-buffer"))).size, 0);
    });
  });

  it("rejects a stream that delivers fewer or more bytes than its header says", async () => {
    await withSpool(async (spool) => {
      await assert.rejects(
        spool.addStream(file("short", 10), Readable.from([Buffer.from("abc")])),
        /short: expected 10 bytes, read 3/,
      );
      await assert.rejects(
        spool.addStream(file("long", 1), Readable.from([Buffer.from("abc")])),
        /long: expected 1 bytes, read 3/,
      );
      assert.equal(spool.has("short"), false);
    });
  });

  it("rejects when the body stream fails", async () => {
    await withSpool(async (spool) => {
      const body = new Readable({
        read() {
          this.destroy(new Error("disk on fire"));
        },
      });
      await assert.rejects(spool.addStream(file("x", 5), body), /disk on fire/);
    });
  });

  it("the output stream errors (instead of hanging) when the scratch file is gone", async () => {
    await withSpool(async (spool) => {
      await addText(spool, "f", "data");
      await spool.close();
      const sink = new Writable({ write: (_c, _e, cb) => cb() });
      await withoutUncaught(() =>
        assert.rejects(pipeline(spool.writeSorted(), sink), /EBADF|closed/),
      );
    });
  });

  it("a failing consumer (e.g. a full disk) rejects the pipeline mid-file without an uncaught error", async () => {
    await withSpool(async (spool) => {
      const big = pseudoRandom(3 * 1024 * 1024, "consumer");
      await spool.addStream(file("big", big.length), chunked(big, 100_000));
      await addText(spool, "later", "x");
      let seen = 0;
      const sink = new Writable({
        write(chunk: Buffer, _e, cb) {
          seen += chunk.length;
          cb(
            seen > 1024 * 1024
              ? Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" })
              : null,
          );
        },
      });
      await withoutUncaught(() => assert.rejects(pipeline(spool.writeSorted(), sink), /ENOSPC/));
    });
  });
});

describe("TarSpool: entry types and metadata", () => {
  it("keeps symlinks, devices, fifos, modes (including 0 and setuid/sticky), owners and mtimes", async () => {
    await withSpool(async (spool, tmp) => {
      const common = { uid: 0, gid: 0, mtime: MTIME };
      await spool.addBuffer({
        ...common,
        name: "etc/mtab",
        type: "symlink",
        linkname: "/proc/mounts",
        mode: 0o777,
      });
      await spool.addBuffer({
        ...common,
        name: "lib",
        type: "symlink",
        linkname: "usr/lib",
        mode: 0o777,
      });
      await spool.addBuffer({
        ...common,
        name: "dev/null",
        type: "character-device",
        mode: 0o666,
        devmajor: 1,
        devminor: 3,
      });
      await spool.addBuffer({
        ...common,
        name: "dev/sda",
        type: "block-device",
        mode: 0o660,
        devmajor: 8,
        devminor: 0,
      });
      await spool.addBuffer({ ...common, name: "run/fifo", type: "fifo", mode: 0o600 });
      await spool.addBuffer(
        { ...common, name: "etc/shadow", type: "file", mode: 0o000 },
        Buffer.from("root:*:\n"),
      );
      await spool.addBuffer(
        { ...common, name: "bin/su", type: "file", mode: 0o4755, uid: 0 },
        Buffer.from("su"),
      );
      await spool.addBuffer({ ...common, name: "tmp", type: "directory", mode: 0o1777 });
      await spool.addBuffer({
        ...common,
        name: "home/u",
        type: "directory",
        mode: 0o000,
        uid: 1000,
        gid: 1001,
      });
      await addText(spool, "home/u/f", "x", {
        uid: 1000,
        gid: 1001,
        mode: 0o640,
        mtime: 1_234_567_890,
      });

      const m = byName(await spoolEntries(spool));
      const mtab = m.get("etc/mtab")!.header;
      assert.deepEqual([mtab.type, mtab.mode, mtab.linkname], ["symlink", 0o777, "/proc/mounts"]);
      assert.equal(m.get("lib")?.header.linkname, "usr/lib");
      assert.deepEqual(
        [
          m.get("dev/null")?.header.type,
          m.get("dev/null")?.header.devmajor,
          m.get("dev/null")?.header.devminor,
        ],
        ["character-device", 1, 3],
      );
      assert.deepEqual(
        [
          m.get("dev/sda")?.header.type,
          m.get("dev/sda")?.header.devmajor,
          m.get("dev/sda")?.header.devminor,
        ],
        ["block-device", 8, 0],
      );
      assert.equal(m.get("run/fifo")?.header.type, "fifo");
      assert.equal(
        m.get("etc/shadow")?.header.mode,
        0o000,
        "mode 0 must not become tar-stream's default 0644",
      );
      assert.equal(
        m.get("home/u")?.header.mode,
        0o000,
        "mode 0 must not become tar-stream's default 0755",
      );
      assert.equal(m.get("bin/su")?.header.mode, 0o4755);
      assert.equal(m.get("tmp")?.header.mode, 0o1777);
      assert.deepEqual(
        [m.get("home/u/f")?.header.uid, m.get("home/u/f")?.header.gid],
        [1000, 1001],
      );
      assert.equal(m.get("home/u/f")?.header.mtime.getTime(), 1_234_567_890_000);
      assert.equal(m.get("home/u/f")?.header.uname, "", "no user names: owners are numeric only");

      const listing = await gnuList(await spoolBytes(spool), tmp);
      const line = (suffix: string): string =>
        listing.find((l) => l.endsWith(suffix)) ?? `<no line ending ${suffix}>`;
      assert.match(line(" etc/mtab -> /proc/mounts"), /^lrwxrwxrwx 0\/0 /);
      assert.match(line(" dev/null"), /^crw-rw-rw- 0\/0 +1,3 /);
      assert.match(line(" dev/sda"), /^brw-rw---- 0\/0 +8,0 /);
      assert.match(line(" run/fifo"), /^prw------- /);
      assert.match(line(" etc/shadow"), /^-{10} 0\/0 /);
      assert.match(line(" bin/su"), /^-rwsr-xr-x /);
      assert.match(line(" tmp"), /^drwxrwxrwt /);
      assert.match(line(" home/u/f"), /^-rw-r----- 1000\/1001 +1 2009-02-13 /);
    });
  });

  it("GNU tar lists and extracts long and non-ASCII names and a symlink unchanged", async () => {
    const long = `long/${"d".repeat(120)}/${"f".repeat(110)}.txt`;
    const unicode = "spaces and ünïcødé/file ✓.txt";
    await withSpool(async (spool, tmp) => {
      await addText(spool, long, "long");
      await addText(spool, unicode, "unicode");
      await spool.addBuffer({
        name: "link",
        type: "symlink",
        linkname: "../outside/target",
        mode: 0o777,
        uid: 0,
        gid: 0,
        mtime: MTIME,
      });
      const bytes = await spoolBytes(spool);
      const listed = (await gnuList(bytes, tmp)).map((l) => l.replace(/^.*? \d\d:\d\d /, ""));
      assert.ok(listed.includes(long), "long name listed in full");
      assert.ok(listed.includes(unicode));
      assert.ok(listed.includes("link -> ../outside/target"));
      const root = await gnuExtract(bytes, tmp);
      assert.equal(await readFile(path.join(root, long), "utf8"), "long");
      assert.equal(await readFile(path.join(root, unicode), "utf8"), "unicode");
      assert.equal(await readlink(path.join(root, "link")), "../outside/target");
    });
  });
});

describe("TarSpool: determinism", () => {
  async function build(order: "forward" | "reverse"): Promise<Buffer> {
    return withSpool(async (spool) => {
      const steps: ((s: TarSpool) => Promise<void>)[] = [
        (s) => addText(s, "etc/hosts", "127.0.0.1 localhost\n"),
        (s) => addText(s, "usr/bin/tool", "tool", { mode: 0o755 }),
        (s) =>
          s.addBuffer({
            name: "usr/lib",
            type: "directory",
            mode: 0o755,
            uid: 0,
            gid: 0,
            mtime: MTIME,
          }),
        (s) =>
          s.addBuffer({
            name: "lib",
            type: "symlink",
            linkname: "usr/lib",
            mode: 0o777,
            uid: 0,
            gid: 0,
            mtime: MTIME,
          }),
        (s) => s.addStream(file("var/big", 300_001), chunked(pseudoRandom(300_001, "det"), 4096)),
      ];
      for (const step of order === "forward" ? steps : [...steps].reverse()) await step(spool);
      // A hard link added last either way, to a target that exists by then.
      await spool.addStream(hardLink("usr/bin/alias", "usr/bin/tool"), undefined);
      return spoolBytes(spool);
    });
  }

  it("the same adds give the same bytes, and so does the same set of paths added in another order", async () => {
    const a = await build("forward");
    const b = await build("forward");
    const c = await build("reverse");
    assert.equal(sha256(a), sha256(b));
    assert.equal(sha256(a), sha256(c));
    assert.equal(a.length % 512, 0);
  });
});

/** Extracts `bytes` with GNU tar into a fresh directory and runs `use` on it. */
async function withTmpRoot(bytes: Buffer, use: (root: string) => Promise<void>): Promise<void> {
  await withTmpDir(async (tmp) => use(await gnuExtract(bytes, tmp)));
}

/** Runs `use` and fails if an error escaped as an uncaught exception meanwhile (or just after). */
async function withoutUncaught(use: () => Promise<void>): Promise<void> {
  const escaped: unknown[] = [];
  const listener = (e: unknown): void => void escaped.push(e);
  process.on("uncaughtException", listener);
  try {
    await use();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    process.off("uncaughtException", listener);
  }
  assert.deepEqual(escaped.map(String), [], "stream errors must reject, not escape");
}

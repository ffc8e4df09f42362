import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import type tar from "tar-stream";

import { forEachTarEntry, fromTarHeader } from "../../../components/tar/tar-entry";
import { FIXED_MTIME, normaliseName, type TarHeader } from "../../../components/tar/tar-header";
import { chunked, collect, tarBuffer, tarStream } from "./helpers/tar";

describe("normaliseName", () => {
  const cases: [string, string][] = [
    ["bin/sh", "bin/sh"],
    ["./bin/sh", "bin/sh"],
    ["/bin/sh", "bin/sh"],
    ["bin/", "bin"],
    ["./etc/ssl/", "etc/ssl"],
    ["//a///b//", "a/b"],
    ["a/./b/.", "a/b"],
    [".", ""],
    ["./", ""],
    ["/", ""],
    ["", ""],
    ["a/../b", "a/../b"], // `..` is not resolved here; fromTarHeader refuses such names
    ["spaces and ünïcødé/file ✓", "spaces and ünïcødé/file ✓"],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(normaliseName(input), expected);
    });
  }
});

describe("fromTarHeader", () => {
  const mtime = 1_700_000_000;
  const base: Partial<tar.Header> = {
    mode: 0o644,
    uid: 1,
    gid: 2,
    mtime: new Date(mtime * 1000),
    size: 0,
  };
  const cases: { title: string; input: Partial<tar.Header>; expected: TarHeader | undefined }[] = [
    {
      title: "a regular file keeps its size, owner, mtime and permission bits",
      input: { ...base, name: "./usr/bin/x", type: "file", mode: 0o100755, size: 42 },
      expected: {
        name: "usr/bin/x",
        type: "file",
        mode: 0o755,
        uid: 1,
        gid: 2,
        mtime,
        size: 42,
        linkname: "",
        devmajor: 0,
        devminor: 0,
      },
    },
    {
      title: "setuid, setgid and sticky bits survive; file type bits are dropped",
      input: { ...base, name: "bin/su", type: "file", mode: 0o107755, size: 1 },
      expected: {
        name: "bin/su",
        type: "file",
        mode: 0o7755,
        uid: 1,
        gid: 2,
        mtime,
        size: 1,
        linkname: "",
        devmajor: 0,
        devminor: 0,
      },
    },
    {
      title: "a contiguous file is a file",
      input: { ...base, name: "c", type: "contiguous-file", size: 3 },
      expected: {
        name: "c",
        type: "file",
        mode: 0o644,
        uid: 1,
        gid: 2,
        mtime,
        size: 3,
        linkname: "",
        devmajor: 0,
        devminor: 0,
      },
    },
    {
      title: "a missing type, mode, owner and mtime default to a root-owned 0644 file at the epoch",
      input: { name: "bare", size: 5 },
      expected: {
        name: "bare",
        type: "file",
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: FIXED_MTIME,
        size: 5,
        linkname: "",
        devmajor: 0,
        devminor: 0,
      },
    },
    {
      title: "a directory's name loses its slash and its size is 0 whatever the header said",
      input: { ...base, name: "etc/", type: "directory", mode: 0o40755, size: 4096 },
      expected: {
        name: "etc",
        type: "directory",
        mode: 0o755,
        uid: 1,
        gid: 2,
        mtime,
        size: 0,
        linkname: "",
        devmajor: 0,
        devminor: 0,
      },
    },
    {
      title: "a hard link's target is normalised like a name",
      input: { ...base, name: "bin/sh", type: "link", linkname: "./bin/busybox" },
      expected: {
        name: "bin/sh",
        type: "link",
        mode: 0o644,
        uid: 1,
        gid: 2,
        mtime,
        size: 0,
        linkname: "bin/busybox",
        devmajor: 0,
        devminor: 0,
      },
    },
    {
      title: "a symlink's target is kept verbatim (it is resolved in the guest)",
      input: { ...base, name: "lib", type: "symlink", linkname: "../usr/lib/" },
      expected: {
        name: "lib",
        type: "symlink",
        mode: 0o644,
        uid: 1,
        gid: 2,
        mtime,
        size: 0,
        linkname: "../usr/lib/",
        devmajor: 0,
        devminor: 0,
      },
    },
    {
      title: "a device keeps its numbers",
      input: {
        ...base,
        name: "dev/null",
        type: "character-device",
        mode: 0o666,
        devmajor: 1,
        devminor: 3,
      },
      expected: {
        name: "dev/null",
        type: "character-device",
        mode: 0o666,
        uid: 1,
        gid: 2,
        mtime,
        size: 0,
        linkname: "",
        devmajor: 1,
        devminor: 3,
      },
    },
    {
      title: "the archive root ./ is skipped",
      input: { ...base, name: "./", type: "directory" },
      expected: undefined,
    },
    {
      title: "an empty name is skipped",
      input: { ...base, name: "", type: "file" },
      expected: undefined,
    },
    {
      title: "a pax global header is skipped",
      input: {
        ...base,
        name: "pax_global_header",
        type: "pax-global-header" as tar.Header["type"],
      },
      expected: undefined,
    },
    {
      title:
        "security: a name with a .. component is skipped (it would escape the image's directory)",
      input: { ...base, name: "../../etc/passwd", type: "file", size: 4 },
      expected: undefined,
    },
    {
      title: "security: a .. component in the middle is skipped too",
      input: { ...base, name: "usr/../../sbin/init", type: "file", size: 4 },
      expected: undefined,
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      assert.deepEqual(fromTarHeader(c.input), c.expected);
    });
  }
});

describe("forEachTarEntry", () => {
  it("visits every entry in order with its body, in chunks that do not align with tar blocks", async () => {
    const input = await tarStream(
      [
        { name: "./", type: "directory" },
        { name: "./a/", type: "directory" },
        { name: "./a/one", data: "1" },
        { name: "./a/big", data: Buffer.alloc(70_000, 7) },
        { name: "./a/link", type: "link", linkname: "./a/one" },
        { name: "./a/sym", type: "symlink", linkname: "one" },
      ],
      333,
    );
    const seen: [string, string, number][] = [];
    await forEachTarEntry(input, async (h, body) => {
      seen.push([h.name, h.type, (await collect(body)).length]);
    });
    assert.deepEqual(seen, [
      ["a", "directory", 0],
      ["a/one", "file", 1],
      ["a/big", "file", 70_000],
      ["a/link", "link", 0],
      ["a/sym", "symlink", 0],
    ]);
  });

  it("drains bodies the visitor leaves unread, so later entries still arrive intact", async () => {
    const input = await tarStream([
      { name: "skip-me", data: Buffer.alloc(200_000, 1) },
      { name: "read-me", data: "payload" },
    ]);
    const read: Record<string, string> = {};
    await forEachTarEntry(input, async (h, body) => {
      if (h.name === "read-me") read[h.name] = (await collect(body)).toString();
    });
    assert.deepEqual(read, { "read-me": "payload" });
  });

  it("does not show entries whose names would escape (security)", async () => {
    const input = await tarStream([
      { name: "ok", data: "fine" },
      { name: "../evil", data: "boo" },
      { name: "a/../../evil2", data: "boo" },
    ]);
    const seen: string[] = [];
    await forEachTarEntry(input, async (h) => void seen.push(h.name));
    assert.deepEqual(seen, ["ok"]);
  });

  it("rejects when the input stream fails mid-archive", async () => {
    const bytes = await tarBuffer([
      { name: "first", data: "1" },
      { name: "second", data: Buffer.alloc(10_000, 2) },
    ]);
    const input = Readable.from(
      (async function* () {
        yield bytes.subarray(0, 2048);
        // the failure comes in a later turn, after the first entry was handed out
        await new Promise((r) => setImmediate(r));
        throw new Error("export stream broke");
      })(),
    );
    const seen: string[] = [];
    await assert.rejects(
      forEachTarEntry(input, async (h, body) => {
        seen.push(h.name);
        await collect(body).catch(() => undefined);
      }),
      /export stream broke/,
    );
    assert.equal(seen[0], "first");
  });

  it("rejects a truncated archive instead of reporting success", async () => {
    const bytes = await tarBuffer([{ name: "whole", data: Buffer.alloc(5000, 3) }]);
    await assert.rejects(
      forEachTarEntry(chunked(bytes.subarray(0, 2000)), async (_h, body) => {
        await collect(body).catch(() => undefined);
      }),
    );
  });

  it("rejects with the visitor's error and stops reading", async () => {
    const input = await tarStream([
      { name: "a", data: "1" },
      { name: "b", data: "2" },
      { name: "c", data: "3" },
    ]);
    const seen: string[] = [];
    await assert.rejects(
      forEachTarEntry(input, async (h) => {
        seen.push(h.name);
        if (h.name === "b") throw new Error("visitor failed on b");
      }),
      /visitor failed on b/,
    );
    assert.deepEqual(seen, ["a", "b"]);
    assert.equal(input.destroyed, true, "the input is released");
  });
});

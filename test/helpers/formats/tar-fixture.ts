/** Builds real tar files for the format tests, with tar-stream and fixed mtimes. */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import * as tar from "tar-stream";

/** One entry to put in a test tar. */
export interface FixtureEntry {
  name: string;
  type: "file" | "directory" | "symlink" | "link" | "character-device" | "block-device" | "fifo";
  mode?: number;
  data?: Buffer;
  linkname?: string;
  uid?: number;
  gid?: number;
  devmajor?: number;
  devminor?: number;
}

/** The fixed mtime of every fixture entry: 2024-01-02T03:04:05Z. */
export const FIXTURE_MTIME = 1704164645;

/** `length` deterministic pseudo-random bytes (sha256 in counter mode). */
export function pseudoRandom(length: number, seed = "seed"): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0, off = 0; off < length; i++) {
    const block = createHash("sha256").update(`${seed}:${i}`).digest();
    off += block.copy(out, off);
  }
  return out;
}

/** The bytes of a tar holding `entries` in the given order. */
export async function tarBytes(entries: FixtureEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header = {
        name: e.name,
        type: e.type,
        mode: e.mode ?? (e.type === "directory" ? 0o755 : 0o644),
        mtime: new Date(FIXTURE_MTIME * 1000),
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        linkname: e.linkname,
        devmajor: e.devmajor,
        devminor: e.devminor,
        size: e.type === "file" ? (e.data?.length ?? 0) : 0,
      };
      pack.entry(
        header,
        e.type === "file" ? (e.data ?? Buffer.alloc(0)) : Buffer.alloc(0),
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * Rewrites `tarBuf` in place so directory names lose their trailing slash,
 * as Go's archive/tar writes them (tar-stream always adds one). Handles
 * plain ustar headers only, which is all the fixtures need for this.
 */
export function stripDirectorySlashes(tarBuf: Buffer): Buffer {
  for (let off = 0; off + 512 <= tarBuf.length;) {
    const header = tarBuf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(
      header.toString("latin1", 124, 136).replace(/\0.*$/, "").trim() || "0",
      8,
    );
    const nameEnd = header.indexOf(0);
    if (header[156] === 0x35 && nameEnd > 0 && header[nameEnd - 1] === 0x2f) {
      header[nameEnd - 1] = 0;
      header.fill(0x20, 148, 156);
      let sum = 0;
      for (const b of header) sum += b;
      header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return tarBuf;
}

/** Writes a tar of `entries` to `path`; `dirSlash: false` writes directory names as Go does. */
export async function writeTar(
  path: string,
  entries: FixtureEntry[],
  opts: { dirSlash?: boolean } = {},
): Promise<void> {
  const bytes = await tarBytes(entries);
  await writeFile(path, opts.dirSlash === false ? stripDirectorySlashes(bytes) : bytes);
}

export const HELLO = Buffer.from("hello, initramfs\n");
export const LARGE = pseudoRandom(200_003, "large");
export const KERNEL = pseudoRandom(70_001, "kernel");
export const CMDLINE = Buffer.from("console=ttyS0 quiet");
export const LONG_DIR = `long/${"d".repeat(120)}`;
export const LONG_FILE = `${LONG_DIR}/${"f".repeat(110)}.txt`;
export const UNICODE_DIR = "spaces and ünïcødé";
export const UNICODE_FILE = `${UNICODE_DIR}/file name ✓.txt`;

/**
 * A root filesystem like the build makes: sorted, boot files, every entry
 * type, hard links after their targets, parents missing for some entries.
 * `ucode` is the microcode cpio to include (none when undefined).
 */
export function rootfsEntries(ucode?: Buffer): FixtureEntry[] {
  const entries: FixtureEntry[] = [
    { name: "a-dir", type: "directory" },
    { name: "a-dir/empty", type: "file", data: Buffer.alloc(0) },
    { name: "a-dir/hello.txt", type: "file", data: HELLO },
    { name: "a-dir/large.bin", type: "file", data: LARGE, mode: 0o600 },
    { name: "a-dir/odd", type: "file", data: Buffer.from("odd") },
    {
      name: "a-dir/setuid",
      type: "file",
      data: Buffer.from("#!/bin/sh\n"),
      mode: 0o4755,
      uid: 100,
      gid: 101,
    },
    { name: "boot", type: "directory" },
    { name: "boot/cmdline", type: "file", data: CMDLINE },
    { name: "boot/kernel", type: "file", data: KERNEL },
    ...(ucode === undefined
      ? []
      : [{ name: "boot/ucode.cpio", type: "file" as const, data: ucode }]),
    { name: "deep/nested/dir/file.txt", type: "file", data: Buffer.from("deep\n") },
    { name: "dev", type: "directory" },
    { name: "dev/null", type: "character-device", mode: 0o666, devmajor: 1, devminor: 3 },
    { name: "dev/pipe", type: "fifo", mode: 0o600 },
    { name: "dev/sda", type: "block-device", mode: 0o660, devmajor: 8, devminor: 0 },
    { name: "links", type: "directory" },
    { name: "links/hard-a", type: "link", linkname: "a-dir/hello.txt" },
    { name: "links/hard-b", type: "link", linkname: "a-dir/hello.txt" },
    { name: "links/hard-empty", type: "link", linkname: "a-dir/empty" },
    { name: "links/sym", type: "symlink", linkname: "../a-dir/hello.txt" },
    { name: "links/sym-abs", type: "symlink", linkname: "/etc/passwd" },
    { name: LONG_FILE, type: "file", data: Buffer.from("long\n") },
    { name: UNICODE_FILE, type: "file", data: Buffer.from("unicode\n") },
    { name: "z-tmp", type: "directory", mode: 0o1777 },
  ];
  return entries;
}

/**
 * The names a cpio of {@link rootfsEntries} holds, in order: synthesised
 * parents appear just before their first child.
 */
export function expectedCpioNames(opts: { withBoot: boolean; ucode: boolean }): string[] {
  const bootFiles = opts.withBoot
    ? ["boot/cmdline", "boot/kernel", ...(opts.ucode ? ["boot/ucode.cpio"] : [])]
    : [];
  return [
    "a-dir",
    "a-dir/empty",
    "a-dir/hello.txt",
    "a-dir/large.bin",
    "a-dir/odd",
    "a-dir/setuid",
    "boot",
    ...bootFiles,
    "deep",
    "deep/nested",
    "deep/nested/dir",
    "deep/nested/dir/file.txt",
    "dev",
    "dev/null",
    "dev/pipe",
    "dev/sda",
    "links",
    "links/hard-a",
    "links/hard-b",
    "links/hard-empty",
    "links/sym",
    "links/sym-abs",
    "long",
    LONG_DIR,
    LONG_FILE,
    UNICODE_DIR,
    UNICODE_FILE,
    "z-tmp",
  ];
}

/** Real tar bytes for the root filesystem tests: built with tar-stream, read back with tar-stream and GNU tar. */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import tar from "tar-stream";

import { TarSpool } from "../../../../components/tar/tar-spool";

const run = promisify(execFile);

/** One entry of a test tar. */
export interface TestEntry {
  name: string;
  type?: tar.Header["type"];
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  data?: Buffer | string;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

/** The mtime test inputs carry unless told otherwise: 2024-01-02T03:04:05Z. */
export const INPUT_MTIME = new Date(1704164645 * 1000);

/**
 * tar-stream replaces a falsy mode with 0644/0755; a file type bit is
 * truthy and masked off by its header encoder, so mode 0 stays 0.
 */
const MODE_ZERO = 0o100000;

/** The bytes of a tar holding `entries` in the given order. */
export async function tarBuffer(entries: TestEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
  })();
  for (const e of entries) {
    const type = e.type ?? "file";
    const data = type === "file" ? Buffer.from(e.data ?? "") : Buffer.alloc(0);
    const mode = e.mode ?? (type === "directory" ? 0o755 : 0o644);
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        {
          name: e.name,
          type,
          mode: mode === 0 ? MODE_ZERO : mode,
          uid: e.uid ?? 0,
          gid: e.gid ?? 0,
          mtime: e.mtime ?? INPUT_MTIME,
          linkname: e.linkname,
          devmajor: e.devmajor,
          devminor: e.devminor,
          size: data.length,
        },
        data,
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** A node Readable of a tar holding `entries`, delivered in small chunks. */
export async function tarStream(entries: TestEntry[], chunkSize = 777): Promise<Readable> {
  return chunked(await tarBuffer(entries), chunkSize);
}

/** `buf` as a Readable of `chunkSize`-byte chunks (real streams rarely align with 512-byte blocks). */
export function chunked(buf: Buffer, chunkSize = 777): Readable {
  const parts: Buffer[] = [];
  for (let off = 0; off < buf.length; off += chunkSize)
    parts.push(buf.subarray(off, off + chunkSize));
  return Readable.from(parts, { objectMode: false });
}

/** One entry read back from a tar. */
export interface ReadEntry {
  header: tar.Header;
  data: Buffer;
}

/** Every entry of a tar, in order, with its body. */
export async function readTar(input: Readable | Buffer): Promise<ReadEntry[]> {
  const extract = tar.extract();
  const source = Buffer.isBuffer(input) ? Readable.from([input]) : input;
  const out: ReadEntry[] = [];
  const feeding = pipeline(source, extract);
  feeding.catch(() => undefined);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(Buffer.from(c as Uint8Array));
    out.push({ header: entry.header, data: Buffer.concat(chunks) });
  }
  await feeding;
  return out;
}

/** Collects a stream into one buffer. */
export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** Runs `use` with a fresh temporary directory, removed afterwards. */
export async function withTmpDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "lk-rootfs-"));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `use` with a spool whose scratch file lives in a temporary directory `dir`. */
export async function withSpool<T>(use: (spool: TarSpool, dir: string) => Promise<T>): Promise<T> {
  return withTmpDir(async (dir) => {
    const spool = await TarSpool.create(path.join(dir, "spool"));
    try {
      return await use(spool, dir);
    } finally {
      await spool.close();
    }
  });
}

/** The spool's sorted output, as bytes. */
export async function spoolBytes(spool: TarSpool): Promise<Buffer> {
  return collect(spool.writeSorted());
}

/** The spool's sorted output, read back with tar-stream. */
export async function spoolEntries(spool: TarSpool): Promise<ReadEntry[]> {
  return readTar(await spoolBytes(spool));
}

/** Entries keyed by name (tar-stream keeps the trailing slash of directories; it is dropped here). */
export function byName(entries: ReadEntry[]): Map<string, ReadEntry> {
  return new Map(entries.map((e) => [e.header.name.replace(/\/$/, ""), e]));
}

/** Names in order, without directory slashes. */
export function names(entries: ReadEntry[]): string[] {
  return entries.map((e) => e.header.name.replace(/\/$/, ""));
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** `length` deterministic pseudo-random bytes (sha256 in counter mode). */
export function pseudoRandom(length: number, seed = "seed"): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0, off = 0; off < length; i++) {
    off += createHash("sha256").update(`${seed}:${i}`).digest().copy(out, off);
  }
  return out;
}

/** `tar -tvf` of `bytes` (GNU tar), one line per member. */
export async function gnuList(bytes: Buffer, dir: string): Promise<string[]> {
  const file = path.join(dir, "list.tar");
  await writeFile(file, bytes);
  const { stdout } = await run("tar", ["--numeric-owner", "-tvf", file], { maxBuffer: 1 << 26 });
  return stdout.split("\n").filter((l) => l !== "");
}

/** Extracts `bytes` with GNU tar into a new directory below `dir` and returns it; stderr must stay empty. */
export async function gnuExtract(bytes: Buffer, dir: string): Promise<string> {
  const file = path.join(dir, "extract.tar");
  await writeFile(file, bytes);
  const target = await mkdtemp(path.join(dir, "x-"));
  const { stderr } = await run("tar", ["--numeric-owner", "-xpf", file, "-C", target], {
    maxBuffer: 1 << 26,
  });
  if (stderr !== "") throw new Error(`tar -x complained: ${stderr}`);
  return target;
}

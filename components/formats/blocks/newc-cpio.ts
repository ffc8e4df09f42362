/**
 * Streaming conversion of the root filesystem tar into a newc cpio archive,
 * the format the Linux kernel unpacks as an initramfs.
 *
 * Two passes over the tar file: {@link scanTar} counts hard links (the
 * first name of a hard-linked file must carry the final link count), then
 * {@link cpioChunks} streams headers and bodies. Memory stays flat: bodies
 * are never buffered whole; what is kept is one entry per directory and per
 * hard link.
 *
 * Choices, with the reader that decided them:
 * - Hard links become real hard links: every name shares one inode number
 *   and carries the total link count; the data goes with the FIRST name and
 *   later names have size 0. The kernel (init/initramfs.c) links a later
 *   name to the first one it saw with the same inode and never truncates
 *   when the size is 0; GNU cpio defers size-0 names and links them at the
 *   end, so `cpio -idm` gets the same result. (LinuxKit instead rewrites
 *   hard links as relative symlinks; a real link is smaller and exact.)
 *   A hard link to a symlink or device becomes a copy of it.
 * - Inode numbers count up from 1 in archive order; device numbers are 0.
 * - Directories have nlink 2, other entries 1 (the kernel ignores both).
 * - A missing parent directory is created first with mode 0755, owner 0:0
 *   and the child's mtime; the kernel cannot create a file in a directory
 *   that does not exist yet.
 * - The root entry (`./`) is left out: the kernel's rootfs already exists.
 * - The archive ends with `TRAILER!!!` and is padded with zeros to a
 *   multiple of 512 bytes, like GNU cpio and LinuxKit's cpio writer.
 */
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { LinuxKitError } from "../../errors/errors";
import { ChunkBatcher } from "./chunk-batcher";
import {
  encodeNewcHeader,
  encodeNewcTrailer,
  padLength,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFREG,
  zeros,
  type NewcHeader,
} from "./newc";
import { rootfsReader, type RootfsReader } from "../../tar/rootfs-entries";
import type { TarHeader } from "../../tar/tar-header";
import type { TarReadOptions } from "../../tar/tar-read";
import { scanTar, type TarScan, type TarScanOptions } from "../../tar/tar-scan";

/** Options for the cpio writer. */
export interface CpioOptions extends TarReadOptions {
  /** Leave out entries whose normalised name (e.g. `boot/kernel`) this returns true for. */
  skip?: (name: string) => boolean;
  /** Small pieces are gathered into chunks of this many bytes. Default 256 KiB. */
  batchBytes?: number;
}

/** Default size of the chunks handed downstream. */
export const DEFAULT_BATCH_BYTES = 256 * 1024;

const TYPE_BITS: Record<TarHeader["type"], number> = {
  file: S_IFREG,
  link: S_IFREG,
  symlink: S_IFLNK,
  directory: S_IFDIR,
  "character-device": S_IFCHR,
  "block-device": S_IFBLK,
  fifo: S_IFIFO,
};

/** What a later hard link to a regular file needs from the first name. */
interface LinkedInode {
  ino: number;
  nlink: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

/** A synthesised parent directory: 0755, owned by root. */
const DIR_STUB: TarHeader = {
  name: "",
  type: "directory",
  mode: 0o755,
  uid: 0,
  gid: 0,
  mtime: 0,
  size: 0,
  linkname: "",
  devmajor: 0,
  devminor: 0,
};

function parentOf(name: string): string {
  const slash = name.lastIndexOf("/");
  return slash === -1 ? "" : name.slice(0, slash);
}

function header(h: TarHeader, ino: number, nlink: number, fileSize: number): NewcHeader {
  return {
    ino,
    mode: TYPE_BITS[h.type] | h.mode,
    uid: h.uid,
    gid: h.gid,
    nlink,
    mtime: h.mtime,
    fileSize,
    devMajor: 0,
    devMinor: 0,
    rdevMajor: h.type === "character-device" || h.type === "block-device" ? h.devmajor : 0,
    rdevMinor: h.type === "character-device" || h.type === "block-device" ? h.devminor : 0,
    name: h.name,
  };
}

function encode(h: NewcHeader, file: string | undefined): Buffer {
  try {
    return encodeNewcHeader(h);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new LinuxKitError(
      "BUILD",
      `cannot put ${JSON.stringify(h.name)} in a cpio archive: ${err.message}`,
      {
        file,
        hint: "newc cpio holds files under 4 GiB with 32-bit uid, gid and mtime; make the file smaller or put it on a volume",
        cause: err,
      },
    );
  }
}

/**
 * The newc archive of a root filesystem (a tar file path, or a
 * {@link RootfsReader}) as a sequence of chunks, using a {@link TarScan}
 * of the same entries. Use {@link tarToCpio} unless you need to place the
 * bytes yourself.
 */
export async function* cpioChunks(
  source: string | RootfsReader,
  scan: TarScan,
  opts: CpioOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const rootfs = rootfsReader(source);
  const file = rootfs.file;
  const batcher = new ChunkBatcher(opts.batchBytes ?? DEFAULT_BATCH_BYTES);
  const dirs = new Set<string>([""]);
  const linked = new Map<string, LinkedInode>();
  const copied = new Map<string, TarHeader>();
  let nextIno = 1;
  let offset = 0;

  // Headers are always 4-byte aligned, so `offset` only matters for the final 512-byte padding.
  function* emit(buf: Buffer): Generator<Buffer> {
    offset += buf.length;
    yield* batcher.push(buf);
  }

  function* ensureParents(name: string, mtime: number): Generator<Buffer> {
    const parent = parentOf(name);
    if (dirs.has(parent)) return;
    yield* ensureParents(parent, mtime);
    dirs.add(parent);
    yield* emit(encode(header({ ...DIR_STUB, name: parent, mtime }, nextIno++, 2, 0), file));
  }

  for await (const { header: h, body } of rootfs.entries(opts)) {
    if (h.name === "" || opts.skip?.(h.name)) continue;
    yield* ensureParents(h.name, h.mtime);
    switch (h.type) {
      case "directory":
        dirs.add(h.name);
        yield* emit(encode(header(h, nextIno++, 2, 0), file));
        break;
      case "file": {
        const others = scan.linkCount.get(h.name) ?? 0;
        const ino = nextIno++;
        if (others > 0)
          linked.set(h.name, {
            ino,
            nlink: others + 1,
            mode: h.mode,
            uid: h.uid,
            gid: h.gid,
            mtime: h.mtime,
          });
        yield* emit(encode(header(h, ino, others + 1, h.size), file));
        let seen = 0;
        for await (const chunk of body ?? []) {
          seen += chunk.length;
          yield* emit(chunk);
        }
        if (seen !== h.size) {
          throw new LinuxKitError(
            "BUILD",
            `tar entry ${JSON.stringify(h.name)} is truncated (${seen} of ${h.size} bytes)`,
            { file },
          );
        }
        yield* emit(zeros(padLength(h.size)));
        break;
      }
      case "symlink": {
        if (scan.linkCount.has(h.name)) copied.set(h.name, h);
        const target = Buffer.from(h.linkname, "utf8");
        yield* emit(encode(header(h, nextIno++, 1, target.length), file));
        yield* emit(target);
        yield* emit(zeros(padLength(target.length)));
        break;
      }
      case "character-device":
      case "block-device":
      case "fifo":
        if (scan.linkCount.has(h.name)) copied.set(h.name, h);
        yield* emit(encode(header(h, nextIno++, 1, 0), file));
        break;
      case "link": {
        const root = scan.linkRoot.get(h.name) ?? h.linkname;
        const first = linked.get(root);
        if (first !== undefined) {
          const { mode, uid, gid, mtime } = first;
          yield* emit(
            encode(header({ ...h, mode, uid, gid, mtime }, first.ino, first.nlink, 0), file),
          );
          break;
        }
        const original = copied.get(root);
        if (original === undefined) {
          throw new LinuxKitError(
            "BUILD",
            `hard link ${JSON.stringify(h.name)} points at ${JSON.stringify(root)}, which is not an earlier file in the archive`,
            {
              file,
              hint: "hard link targets must come before their links and must not be left out",
            },
          );
        }
        const copy = { ...original, name: h.name };
        const data = copy.type === "symlink" ? Buffer.from(copy.linkname, "utf8") : Buffer.alloc(0);
        yield* emit(encode(header(copy, nextIno++, 1, data.length), file));
        yield* emit(data);
        yield* emit(zeros(padLength(data.length)));
        break;
      }
    }
  }
  yield* emit(encodeNewcTrailer());
  yield* emit(zeros(padLength(offset, 512)));
  const rest = batcher.take();
  if (rest !== undefined) yield rest;
}

/**
 * Converts the tar file at `tarPath` into a newc cpio archive written to
 * `out`, then ends `out`. Reads the tar twice (headers, then everything).
 * Rejects if either side fails or `opts.signal` aborts.
 */
export async function tarToCpio(
  tarPath: string,
  out: Writable,
  opts: CpioOptions & Pick<TarScanOptions, "capture"> = {},
): Promise<void> {
  const scan = await scanTar(tarPath, opts);
  await pipeline(cpioChunks(tarPath, scan, opts), out, { signal: opts.signal });
}

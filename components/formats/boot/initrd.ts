/**
 * The initrd LinuxKit boots: optional CPU microcode cpio, uncompressed (the
 * kernel's early microcode loader only looks at an uncompressed archive at
 * the very start), followed by a gzip'd newc cpio of the root filesystem
 * without `boot/`, zero-padded to a multiple of 4 bytes as LinuxKit's
 * writer does (the kernel skips zero padding between archives).
 */
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { LinuxKitError } from "../../errors";
import { isBootFile } from "./boot-files";
import { fileChunks } from "../file-sink";
import { cpioChunks, type CpioOptions } from "../archive/newc-cpio";
import { padLength, zeros } from "../archive/newc";
import type { TarScan } from "../archive/tar-scan";

/** Default gzip level, the same trade-off as `gzip -6`. */
export const DEFAULT_GZIP_LEVEL = 6;

/** Options for {@link initrdChunks}. */
export interface InitrdOptions extends Omit<CpioOptions, "skip"> {
  /** gzip level 0 (store) to 9 (smallest). Default 6. */
  gzipLevel?: number;
  /** A microcode cpio to put first, uncompressed. */
  ucodePath?: string;
}

/** Offset of the OS byte in a gzip header (RFC 1952). */
const GZIP_OS_OFFSET = 9;
/** "Unix": what zlib writes on Linux; fixed so artifacts match across build hosts. */
const GZIP_OS_UNIX = 3;

/** Throws a USAGE error unless `level` is a whole number from 0 to 9. */
export function checkGzipLevel(level: number): number {
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new LinuxKitError("USAGE", `gzip level ${level} is not a whole number from 0 to 9`, {
      field: "gzipLevel",
      hint: "use 6 (the default), 1 for speed or 9 for size",
    });
  }
  return level;
}

/**
 * gzip of `source` as chunks. zlib writes mtime 0 and no file name, so the
 * bytes depend only on the input, the level and the zlib build; the OS byte
 * is pinned to Unix.
 */
export async function* gzipChunks(
  source: AsyncIterable<Buffer>,
  level: number,
  signal?: AbortSignal,
): AsyncGenerator<Buffer, void, undefined> {
  const gz = createGzip({ level: checkGzipLevel(level), chunkSize: 256 * 1024 });
  const feeding = pipeline(source, gz, { signal });
  feeding.catch(() => undefined); // the same error surfaces through `gz` below
  let position = 0;
  try {
    for await (const chunk of gz as AsyncIterable<Buffer>) {
      const at = GZIP_OS_OFFSET - position;
      if (at >= 0 && at < chunk.length) chunk[at] = GZIP_OS_UNIX;
      position += chunk.length;
      yield chunk;
    }
    await feeding;
  } finally {
    gz.destroy();
  }
}

/**
 * The initrd for `tarPath` as chunks: microcode (if any), then the gzip'd
 * cpio of everything outside `boot/`, then zeros to a 4-byte multiple.
 */
export async function* initrdChunks(
  tarPath: string,
  scan: TarScan,
  opts: InitrdOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  if (opts.ucodePath !== undefined) yield* fileChunks(opts.ucodePath, opts);
  let compressed = 0;
  const cpio = cpioChunks(tarPath, scan, { ...opts, skip: isBootFile });
  for await (const chunk of gzipChunks(cpio, opts.gzipLevel ?? DEFAULT_GZIP_LEVEL, opts.signal)) {
    compressed += chunk.length;
    yield chunk;
  }
  const pad = padLength(compressed);
  if (pad > 0) yield zeros(pad);
}

/** One log line about a finished initrd: size, gzip level and time taken. */
export function initrdLogLine(size: number, level: number | undefined, startedAt: number): string {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  return `  initrd: ${(size / 1e6).toFixed(1)} MB (gzip -${level ?? DEFAULT_GZIP_LEVEL}) in ${seconds} s`;
}

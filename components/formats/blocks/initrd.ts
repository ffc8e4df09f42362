/**
 * The initrd LinuxKit boots: optional CPU microcode cpio, uncompressed (the
 * kernel's early microcode loader only looks at an uncompressed archive at
 * the very start), followed by a gzip'd newc cpio of the root filesystem
 * without `boot/` (one gzip member, deflated on every core in 1 MiB
 * blocks), zero-padded to a multiple of 4 bytes as LinuxKit's writer does
 * (the kernel skips zero padding between archives).
 */
import { checkGzipLevel, DEFAULT_GZIP_LEVEL } from "./gzip-level";
import { isBootFile } from "./boot-files";
import { fileChunks } from "../../tar/file-sink";
import { cpioChunks, type CpioOptions } from "./newc-cpio";
import { padLength, zeros } from "./newc";
import { parallelGzipChunks } from "./parallel-gzip";
import type { TarScan } from "../../tar/tar-scan";
import type { RootfsReader } from "../../tar/rootfs-entries";

export { checkGzipLevel, DEFAULT_GZIP_LEVEL };

/** Options for {@link initrdChunks}. */
export interface InitrdOptions extends Omit<CpioOptions, "skip"> {
  /** gzip level 0 (store) to 9 (smallest). Default {@link DEFAULT_GZIP_LEVEL}. */
  gzipLevel?: number;
  /** A microcode cpio to put first, uncompressed. */
  ucodePath?: string;
}

/**
 * gzip of `source` as chunks, compressed on every core in fixed 1 MiB
 * blocks joined into one gzip member (archive/parallel-gzip.ts): mtime 0,
 * no file name, OS byte Unix, so the bytes depend only on the input, the
 * level and the zlib build.
 */
export function gzipChunks(
  source: AsyncIterable<Buffer>,
  level: number,
  signal?: AbortSignal,
): AsyncGenerator<Buffer, void, undefined> {
  return parallelGzipChunks(source, checkGzipLevel(level), { signal });
}

/**
 * The initrd of a root filesystem (a tar file path, or a
 * {@link RootfsReader}) as chunks: microcode (if any), then the gzip'd cpio
 * of everything outside `boot/`, then zeros to a 4-byte multiple.
 */
export async function* initrdChunks(
  source: string | RootfsReader,
  scan: TarScan,
  opts: InitrdOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  if (opts.ucodePath !== undefined) yield* fileChunks(opts.ucodePath, opts);
  let compressed = 0;
  const cpio = cpioChunks(source, scan, { ...opts, skip: isBootFile });
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

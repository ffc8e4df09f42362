/**
 * Writing a stream of chunks to a file while measuring it, so an artifact's
 * size and sha256 come from the write itself rather than a second read.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";

/** Size and digest of bytes written. */
export interface WrittenFile {
  /** Bytes. */
  size: number;
  /** Lower-case hex sha256. */
  sha256: string;
}

/** Options for {@link writeChunksToFile}. */
export interface FileSinkOptions {
  signal?: AbortSignal;
  /** File mode for a new file. Default 0o644 (before umask). */
  mode?: number;
}

/**
 * Writes every chunk of `chunks` to a new file at `path` (truncating any
 * existing one) and returns the size and sha256 of what was written.
 */
export async function writeChunksToFile(
  path: string,
  chunks: AsyncIterable<Buffer>,
  opts: FileSinkOptions = {},
): Promise<WrittenFile> {
  const hash = createHash("sha256");
  let size = 0;
  async function* measured(): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  }
  await pipeline(
    measured(),
    createWriteStream(path, { mode: opts.mode ?? 0o644, highWaterMark: 1024 * 1024 }),
    {
      signal: opts.signal,
    },
  );
  return { size, sha256: hash.digest("hex") };
}

/** `bytes` as a single-chunk stream, for {@link writeChunksToFile}. */
export async function* chunksOf(...bytes: Buffer[]): AsyncGenerator<Buffer> {
  for (const b of bytes) if (b.length > 0) yield b;
}

/** Every chunk of the file at `path`, read `highWaterMark` bytes (default 1 MiB) at a time. */
export async function* fileChunks(
  path: string,
  opts: { highWaterMark?: number; signal?: AbortSignal } = {},
): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, {
    highWaterMark: opts.highWaterMark ?? 1024 * 1024,
    signal: opts.signal,
  });
  for await (const chunk of stream) yield chunk as Buffer;
}

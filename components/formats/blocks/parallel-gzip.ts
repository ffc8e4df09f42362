/**
 * gzip on every core, byte-reproducible, as pigz does it: the input is cut
 * into fixed-size blocks (by input offset, whatever the chunking of the
 * source), each block is deflated on its own on libuv's thread pool with
 * the previous 32 KiB of input as its dictionary and ends on a byte
 * boundary (sync flush; the last block finishes the stream), and the raw
 * deflate outputs are joined into ONE gzip member with the CRC-32 and
 * length of the whole input. Any gzip reader (the kernel's initramfs
 * unpacker, `gzip -d`, GCP's importer) reads it as a plain gzip file.
 *
 * The bytes depend only on the input, the level, the block size and the
 * zlib build, never on how many blocks ran at once. The header carries
 * mtime 0, no name and OS "Unix", as `gzip -n` on Linux writes it.
 */
import os from "node:os";
import { constants, deflateRaw, type ZlibOptions } from "node:zlib";
import { crc32 } from "./crc32";

/** Input bytes per independently deflated block. */
export const GZIP_BLOCK_BYTES = 1024 * 1024;
/** deflate's window: each block sees this much of the input before it. */
const DICTIONARY_BYTES = 32 * 1024;

/** Options for {@link parallelGzipChunks}. */
export interface ParallelGzipOptions {
  signal?: AbortSignal;
  /** Input bytes per block. Changes the output bytes. Default {@link GZIP_BLOCK_BYTES}. */
  blockBytes?: number;
  /** Blocks compressed at once. Does not change the bytes. Default: cores + 1, at most 4. */
  concurrency?: number;
}

/** The 10-byte gzip header zlib writes for `level` (XFL 2 at 9, 4 below 2), OS Unix. */
export function gzipHeader(level: number): Buffer {
  const xfl = level === 9 ? 2 : level < 2 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
}

function deflateBlock(input: Buffer, options: ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    deflateRaw(input, options, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

/** Default number of blocks in flight: enough to keep every core busy. */
function defaultConcurrency(): number {
  return Math.min(4, Math.max(2, os.availableParallelism() + 1));
}

/**
 * The gzip of `source` as chunks (see the module comment), compressing up
 * to `concurrency` blocks at a time while `source` is read.
 */
export async function* parallelGzipChunks(
  source: AsyncIterable<Buffer>,
  level: number,
  opts: ParallelGzipOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const blockBytes = opts.blockBytes ?? GZIP_BLOCK_BYTES;
  const concurrency = opts.concurrency ?? defaultConcurrency();
  const { signal } = opts;
  const inFlight: Promise<Buffer>[] = [];
  let dictionary: Buffer | undefined;
  let crc = 0;
  let length = 0;
  let parts: Buffer[] = [];
  let gathered = 0;

  const submit = (block: Buffer, last: boolean): void => {
    const options: ZlibOptions = {
      level,
      // Room for the whole output of the block: one thread-pool job per
      // block, no round trip through the main thread every 16 KiB.
      chunkSize: block.length + (block.length >> 3) + 1024,
      finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
      ...(dictionary === undefined ? {} : { dictionary }),
    };
    const job = deflateBlock(block, options);
    job.catch(() => undefined); // awaited in order below; an early failure must not go unhandled
    inFlight.push(job);
    // A copy: the block's buffer may be a view of a larger one that is reused upstream.
    dictionary = Buffer.from(block.subarray(Math.max(0, block.length - DICTIONARY_BYTES)));
  };
  /**
   * The first `blockBytes` gathered bytes as one buffer: a view when the
   * first piece holds them all, else a copy of exactly those bytes (the
   * rest stays where it is, to be copied once, into the next block).
   */
  const takeBlock = (): Buffer => {
    const first = parts[0]!;
    if (first.length >= blockBytes) {
      const block = first.subarray(0, blockBytes);
      if (first.length === blockBytes) parts.shift();
      else parts[0] = first.subarray(blockBytes);
      gathered -= blockBytes;
      return block;
    }
    const block = Buffer.allocUnsafe(blockBytes);
    let filled = 0;
    while (filled < blockBytes) {
      const part = parts[0]!;
      const n = Math.min(part.length, blockBytes - filled);
      part.copy(block, filled, 0, n);
      filled += n;
      if (n === part.length) parts.shift();
      else parts[0] = part.subarray(n);
    }
    gathered -= blockBytes;
    return block;
  };
  /** Everything still gathered (less than a block), for the last block. */
  const takeRest = (): Buffer => {
    const rest = parts.length === 1 ? parts[0]! : Buffer.concat(parts, gathered);
    parts = [];
    gathered = 0;
    return rest;
  };

  yield gzipHeader(level);
  try {
    for await (const chunk of source) {
      signal?.throwIfAborted();
      crc = crc32(chunk, crc);
      length += chunk.length;
      parts.push(chunk);
      gathered += chunk.length;
      while (gathered > blockBytes) {
        submit(takeBlock(), false);
        while (inFlight.length >= concurrency) yield await inFlight.shift()!;
      }
    }
    // The last block (possibly empty, possibly exactly blockBytes) finishes the stream.
    submit(gathered > 0 ? takeRest() : Buffer.alloc(0), true);
    while (inFlight.length > 0) {
      signal?.throwIfAborted();
      yield await inFlight.shift()!;
    }
  } finally {
    inFlight.length = 0;
  }
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(length % 2 ** 32, 4);
  yield trailer;
}

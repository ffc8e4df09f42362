/**
 * Reading the root filesystem tar: one entry at a time, bodies streamed,
 * names normalised (see tar-header.ts for the one header model).
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import * as tar from "tar-stream";
import { LinuxKitError } from "../errors/errors";
import { normaliseName, secondsOf, type TarEntryType, type TarHeader } from "./tar-header";

/** A header and its body; the body must be read or left alone (it is drained for you). */
export interface TarEntry {
  header: TarHeader;
  body: Readable;
}

/** Options for reading a tar file. */
export interface TarReadOptions {
  /** Read buffer size in bytes. Default 1 MiB. */
  highWaterMark?: number;
  signal?: AbortSignal;
}

/** Default read size: large reads keep the per-chunk overhead low. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

function normalizeHeader(h: tar.Header, tarPath: string): TarHeader {
  let type: TarEntryType;
  switch (h.type) {
    case "file":
    case "contiguous-file":
    case undefined:
    case null:
      type = "file";
      break;
    case "link":
    case "symlink":
    case "directory":
    case "character-device":
    case "block-device":
    case "fifo":
      type = h.type;
      break;
    default:
      throw new LinuxKitError(
        "BUILD",
        `tar entry ${JSON.stringify(h.name)} has unsupported type ${h.type}`,
        {
          file: tarPath,
        },
      );
  }
  const linkname = h.linkname ?? "";
  return {
    name: normaliseName(h.name),
    type,
    mode: (h.mode ?? 0) & 0o7777,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    mtime: secondsOf(h.mtime),
    size: type === "file" ? (h.size ?? 0) : 0,
    linkname: type === "link" ? normaliseName(linkname) : linkname,
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
  };
}

/**
 * Reads `tarPath` entry by entry. Each body is drained when the loop moves
 * on, so a caller that only wants headers just ignores it. Breaking out of
 * the loop closes the file.
 */
export async function* readTarEntries(
  tarPath: string,
  opts: TarReadOptions = {},
): AsyncGenerator<TarEntry, void, undefined> {
  const extract = tar.extract();
  const source = createReadStream(tarPath, {
    highWaterMark: opts.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
    signal: opts.signal,
  });
  source.on("error", (err) => extract.destroy(err));
  source.pipe(extract);
  try {
    for await (const entry of extract) {
      opts.signal?.throwIfAborted();
      // tar-stream entries are streamx Readables, which Node's stream helpers accept.
      const body = entry as unknown as Readable;
      yield { header: normalizeHeader(entry.header, tarPath), body };
      body.resume();
    }
  } finally {
    source.destroy();
    extract.destroy();
  }
}

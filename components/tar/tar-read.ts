/**
 * Reading the root filesystem tar: one entry at a time, bodies streamed,
 * names normalised. The only place that knows tar-stream's header shape.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import * as tar from "tar-stream";
import { LinuxKitError } from "../errors";

/** Entry types a root filesystem tar may hold (PAX and GNU long-name headers are resolved). */
export type TarEntryType =
  "file" | "link" | "symlink" | "directory" | "character-device" | "block-device" | "fifo";

/** One tar header, normalised. */
export interface TarHeader {
  /** Relative path without `./`, leading `/` or trailing `/`; `""` for the root itself. */
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid/setgid/sticky (`0o7777` at most). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Bytes of body (0 for everything but regular files). */
  size: number;
  /** Hard link: the normalised path of the target. Symlink: the target as written. Else `""`. */
  linkname: string;
  devmajor: number;
  devminor: number;
}

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

/** Strips `./` and `/` at the front and `/` at the end: `./etc/` → `etc`. */
export function normalizeTarName(name: string): string {
  let n = name;
  for (;;) {
    if (n.startsWith("./")) n = n.slice(2);
    else if (n.startsWith("/")) n = n.slice(1);
    else break;
  }
  while (n.endsWith("/")) n = n.slice(0, -1);
  return n === "." ? "" : n;
}

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
    name: normalizeTarName(h.name),
    type,
    mode: (h.mode ?? 0) & 0o7777,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    mtime: h.mtime === undefined ? 0 : Math.floor(h.mtime.getTime() / 1000),
    size: type === "file" ? (h.size ?? 0) : 0,
    linkname: type === "link" ? normalizeTarName(linkname) : linkname,
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

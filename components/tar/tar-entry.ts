import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";

/** The entry types a root filesystem may hold. */
export type EntryType =
  "file" | "directory" | "symlink" | "link" | "character-device" | "block-device" | "fifo";

/** A tar header reduced to what a root filesystem needs; names are normalised. */
export interface EntryHeader {
  /** Relative path without leading `./` or `/` and without trailing `/`. */
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  /** Target of a symlink, or (for `link`) the normalised name of the hard link target. */
  linkname?: string;
  size: number;
  devmajor?: number;
  devminor?: number;
}

/** The mtime of everything the build generates (LinuxKit uses the epoch as well). */
export const FIXED_MTIME = new Date(0);

/** Removes `./`, leading and trailing `/` and empty components. */
export function normaliseName(name: string): string {
  return name
    .split("/")
    .filter((p) => p !== "" && p !== ".")
    .join("/");
}

const TYPES = new Set<string>([
  "file",
  "directory",
  "symlink",
  "link",
  "character-device",
  "block-device",
  "fifo",
]);

/**
 * Converts a tar-stream header; returns undefined for entries a filesystem
 * can't hold, and for names with `..` components, which would land outside
 * the directory the entry is put in.
 */
export function fromTarHeader(h: Partial<tar.Header>): EntryHeader | undefined {
  const type = h.type === "contiguous-file" || h.type === undefined ? "file" : h.type;
  if (!TYPES.has(type)) return undefined;
  const name = normaliseName(h.name ?? "");
  if (name === "" || name.split("/").includes("..")) return undefined;
  return {
    name,
    type: type as EntryType,
    mode: (h.mode ?? 0o644) & 0o7777,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    mtime: h.mtime ?? FIXED_MTIME,
    linkname:
      type === "link"
        ? normaliseName(h.linkname ?? "")
        : type === "symlink"
          ? (h.linkname ?? "")
          : undefined,
    size: type === "file" ? (h.size ?? 0) : 0,
    devmajor: h.devmajor,
    devminor: h.devminor,
  };
}

/**
 * Reads a tar stream entry by entry. `visit` must consume `body` (or leave
 * it: it is drained afterwards). Entries of unsupported types (pax globals,
 * GNU long-name records already folded by the parser) are skipped.
 */
export async function forEachTarEntry(
  input: Readable,
  visit: (header: EntryHeader, body: Readable) => Promise<void>,
): Promise<void> {
  const extract = tar.extract();
  const feeding = pipeline(input, extract);
  try {
    for await (const entry of extract) {
      const header = fromTarHeader(entry.header);
      if (header !== undefined) await visit(header, entry as unknown as Readable);
      entry.resume();
    }
  } catch (e) {
    input.destroy();
    await feeding.catch(() => undefined);
    throw e;
  }
  await feeding;
}

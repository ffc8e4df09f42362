import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";

import { normaliseName, secondsOf, type TarEntryType, type TarHeader } from "./tar-header";

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
export function fromTarHeader(h: Partial<tar.Header>): TarHeader | undefined {
  const type = h.type === "contiguous-file" || h.type === undefined ? "file" : h.type;
  if (!TYPES.has(type)) return undefined;
  const name = normaliseName(h.name ?? "");
  if (name === "" || name.split("/").includes("..")) return undefined;
  return {
    name,
    type: type as TarEntryType,
    mode: (h.mode ?? 0o644) & 0o7777,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    mtime: secondsOf(h.mtime),
    linkname:
      type === "link"
        ? normaliseName(h.linkname ?? "")
        : type === "symlink"
          ? (h.linkname ?? "")
          : "",
    size: type === "file" ? (h.size ?? 0) : 0,
    devmajor: h.devmajor ?? 0,
    devminor: h.devminor ?? 0,
  };
}

/**
 * Reads a tar stream entry by entry. `visit` must consume `body` (or leave
 * it: it is drained afterwards). Entries of unsupported types (pax globals,
 * GNU long-name records already folded by the parser) are skipped.
 */
export async function forEachTarEntry(
  input: Readable,
  visit: (header: TarHeader, body: Readable) => Promise<void>,
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

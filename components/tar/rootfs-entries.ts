/**
 * A root filesystem as its format writers read it: entries in archive
 * order (sorted, parents first, hard links after their first name), each a
 * normalised tar header and, for regular files, the bytes. The source is
 * either the build's tar file or, inside a build, the spool the tar would
 * be written from — the same entries either way, so a writer that only
 * streams entries never needs the tar on disk.
 */
import type { TarHeader } from "./tar-header";
import type { TarReadOptions } from "./tar-read";
import { readTarEntries } from "./tar-read";

/** One entry: header and, for a regular file, its bytes (read at most once). */
export interface RootfsEntry {
  header: TarHeader;
  /** The file's bytes; absent or empty for everything but regular files. */
  body?: AsyncIterable<Buffer>;
}

/** A root filesystem that can be read from the start as often as needed. */
export interface RootfsReader {
  /** The file the entries come from, for messages; undefined when they come from memory. */
  readonly file?: string;
  /**
   * True when an entry's body can still be read after later entries were
   * (bodies kept on disk, e.g. the build's spool); false for a stream.
   */
  readonly bodiesStay?: boolean;
  /** Every entry, in archive order. Bodies left unread are skipped. */
  entries(opts?: TarReadOptions): AsyncIterable<RootfsEntry>;
}

/** The root filesystem in the tar file at `tarPath`. */
export function tarFileRootfs(tarPath: string): RootfsReader {
  return {
    file: tarPath,
    entries: (opts) => readTarEntries(tarPath, opts),
  };
}

/** `source` as a reader: a tar file path, or a reader already. */
export function rootfsReader(source: string | RootfsReader): RootfsReader {
  return typeof source === "string" ? tarFileRootfs(source) : source;
}

/**
 * Writing tar streams: a small tar of whole files (e.g. kernel, initrd,
 * cmdline), or a copy of root filesystem entries fed one at a time.
 */
import type { Readable } from "node:stream";
import * as tar from "tar-stream";
import { fileChunks } from "./file-sink";
import { dateOf, type TarHeader } from "./tar-header";

/** One member: its bytes come from `data` or from the file at `path`. */
export interface TarMember {
  name: string;
  /** Bytes; must match the file's size when `path` is given. */
  size: number;
  data?: Buffer;
  path?: string;
}

/** Attributes every member shares. */
export interface TarMemberDefaults {
  /** Permission bits. */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
}

async function addMember(
  pack: tar.Pack,
  m: TarMember,
  d: TarMemberDefaults,
  signal?: AbortSignal,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const header: Partial<tar.Header> & { name: string } = {
      name: m.name,
      size: m.size,
      mode: d.mode,
      mtime: dateOf(d.mtime),
      type: "file",
      uid: 0,
      gid: 0,
    };
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    entry.on("error", reject);
    if (m.path === undefined) {
      entry.end(m.data ?? Buffer.alloc(0));
      return;
    }
    void (async () => {
      for await (const chunk of fileChunks(m.path as string, { signal })) {
        if (!entry.write(chunk)) await new Promise<void>((r) => entry.once("drain", () => r()));
      }
      entry.end(undefined);
    })().catch((err: unknown) => {
      entry.destroy(err as Error);
      reject(err);
    });
  });
}

/**
 * A tar stream holding `members` in order, all regular files owned by 0:0
 * with the given mode and mtime. Consume the result while it is produced.
 */
export function tarOfFiles(
  members: TarMember[],
  defaults: TarMemberDefaults,
  signal?: AbortSignal,
): Readable {
  const pack = tar.pack();
  void (async () => {
    for (const m of members) await addMember(pack, m, defaults, signal);
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}

/** tar-stream's header for one normalised entry (the root itself is never passed). */
function packHeader(h: TarHeader): Partial<tar.Header> & { name: string } {
  const device = h.type === "character-device" || h.type === "block-device";
  return {
    name: h.type === "directory" ? `${h.name}/` : h.name,
    type: h.type,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    mtime: dateOf(h.mtime),
    size: h.type === "file" ? h.size : 0,
    ...(h.type === "link" || h.type === "symlink" ? { linkname: h.linkname } : {}),
    ...(device ? { devmajor: h.devmajor, devminor: h.devminor } : {}),
  };
}

/** Adds one entry to a tar being written; a regular file's bytes come from `body`. */
export type AddTarEntry = (header: TarHeader, body?: AsyncIterable<Buffer>) => Promise<void>;

/** A tar stream being fed, and the end of the feeding. */
export interface TarFeed {
  /** The tar bytes; consume them while they are produced. */
  stream: Readable;
  /** Settles when every entry was added and the archive closed; rejects with the feeding's error. */
  fed: Promise<void>;
}

/**
 * A tar stream of the entries `feed` adds, in order, then the end-of-archive
 * marker. When `feed` fails the stream is destroyed with its error and
 * `fed` rejects with it.
 */
export function tarOfEntries(feed: (add: AddTarEntry) => Promise<void>): TarFeed {
  const pack = tar.pack();
  const add: AddTarEntry = (h, body) =>
    new Promise<void>((resolve, reject) => {
      const entry = pack.entry(packHeader(h), (err) => (err ? reject(err) : resolve()));
      if (h.type !== "file") {
        entry.end(undefined);
        return;
      }
      void (async () => {
        for await (const chunk of body ?? []) {
          if (!entry.write(chunk)) await new Promise<void>((r) => entry.once("drain", () => r()));
        }
        entry.end(undefined);
      })().catch((err: unknown) => {
        entry.destroy(err as Error);
        reject(err);
      });
    });
  const fed = feed(add).then(
    () => {
      pack.finalize();
    },
    (err: unknown) => {
      pack.destroy(err as Error);
      throw err;
    },
  );
  return { stream: pack as unknown as Readable, fed };
}

/** All the bytes of a small tar of `members` (see {@link tarOfFiles}), in memory. */
export async function tarBytesOfFiles(
  members: TarMember[],
  defaults: TarMemberDefaults,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tarOfFiles(members, defaults)) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

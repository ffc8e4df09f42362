/** Writing a small tar of whole files (e.g. kernel, initrd, cmdline) as a stream. */
import type { Readable } from "node:stream";
import * as tar from "tar-stream";
import { fileChunks } from "./file-sink";

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
      mtime: new Date(d.mtime * 1000),
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

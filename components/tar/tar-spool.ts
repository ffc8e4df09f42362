import { readSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import tar from "tar-stream";

import type { RootfsEntry, RootfsReader } from "./rootfs-entries";
import {
  completeHeader,
  dateOf,
  FIXED_MTIME,
  type NewTarHeader,
  type TarHeader,
} from "./tar-header";

/** One path in the spooled filesystem; the last write of a path wins. */
interface SpoolRecord {
  header: TarHeader;
  /** For regular files: where the bytes are in the spool file. */
  offset: number;
  /** Identity of the bytes, shared by hard links so they stay links. */
  dataId: number;
}

const CHUNK = 1 << 20;
/** Small bodies are gathered and written to the spool this many bytes at a time. */
const WRITE_BATCH = 1 << 20;

/**
 * tar-stream's pack replaces a falsy mode with 0644 (0755 for directories),
 * which would make a mode-0 file such as /etc/shadow world-readable. A file
 * type bit is truthy and the header encoder masks it off, so this writes 0.
 */
const MODE_ZERO = 0o100000;

/** A header as tar-stream's pack takes it. */
type PackHeader = Parameters<tar.Pack["entry"]>[0];

function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Collects root filesystem entries from many sources in LinuxKit's order
 * (kernel, init, containers, files), keeps the last write of each path,
 * and writes them out as one tar sorted by name with parents first.
 *
 * File bodies go to a scratch file, so memory holds only the index,
 * whatever the size of the images.
 */
export class TarSpool {
  private readonly records = new Map<string, SpoolRecord>();
  private nextOffset = 0;
  private nextDataId = 1;
  /** Bytes appended but not yet written: they end at `nextOffset`. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Names in archive order, fixed by the first read; nothing may change after it. */
  private sorted: string[] | undefined;

  private constructor(private readonly fh: FileHandle) {}

  /** Opens a spool backed by the scratch file `path` (created or truncated). */
  static async create(path: string): Promise<TarSpool> {
    return new TarSpool(await open(path, "w+"));
  }

  /** The entry now at `name`, if any. */
  get(name: string): TarHeader | undefined {
    return this.records.get(name)?.header;
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  /** Number of paths currently held. */
  get size(): number {
    return this.records.size;
  }

  private assertOpen(): void {
    if (this.sorted !== undefined)
      throw new Error("the spool was read already; entries can no longer change");
  }

  /** Adds an entry whose body (regular files only) comes from a stream. */
  async addStream(header: TarHeader, body: Readable | undefined): Promise<void> {
    this.assertOpen();
    if (header.type === "link") {
      this.addLink(header);
      body?.resume();
      return;
    }
    const offset = this.nextOffset;
    let written = 0;
    if (header.type === "file" && body !== undefined) {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        await this.append(chunk);
        written += chunk.length;
      }
    } else {
      body?.resume();
    }
    if (header.type === "file" && written !== header.size) {
      throw new Error(`${header.name}: expected ${header.size} bytes, read ${written}`);
    }
    this.records.set(header.name, {
      header: { ...header, size: written },
      offset,
      dataId: this.nextDataId++,
    });
  }

  /** Adds an entry with an in-memory body (regular files), or none. */
  async addBuffer(header: Omit<NewTarHeader, "size">, data?: Buffer): Promise<void> {
    this.assertOpen();
    const body = data ?? Buffer.alloc(0);
    const offset = this.nextOffset;
    if (header.type === "file" && body.length > 0) await this.append(body);
    this.records.set(header.name, {
      header: completeHeader({ ...header, size: header.type === "file" ? body.length : 0 }),
      offset,
      dataId: this.nextDataId++,
    });
  }

  /**
   * Appends `chunk` at the end of the spool. Small pieces (most files of a
   * root filesystem are small) are gathered and written together, so a
   * file costs no write of its own; large ones are written at once.
   */
  private async append(chunk: Buffer): Promise<void> {
    if (chunk.length >= WRITE_BATCH) {
      await this.flush();
      await this.fh.write(chunk, 0, chunk.length, this.nextOffset);
      this.nextOffset += chunk.length;
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.nextOffset += chunk.length;
    if (this.pendingBytes >= WRITE_BATCH) await this.flush();
  }

  /** Writes the gathered pieces, in one call and without copying them together. */
  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const batch = this.pending;
    const bytes = this.pendingBytes;
    const at = this.nextOffset - bytes;
    this.pending = [];
    this.pendingBytes = 0;
    const { bytesWritten } = await this.fh.writev(batch, at);
    if (bytesWritten !== bytes)
      throw new Error(`spool write short: ${bytesWritten} of ${bytes} bytes`);
  }

  /**
   * A hard link shares the bytes its target has now; if the target is not a
   * regular file the link is dropped (it could not be extracted either).
   */
  private addLink(header: TarHeader): void {
    const target = this.records.get(header.linkname);
    if (target === undefined || target.header.type !== "file") return;
    this.records.set(header.name, {
      header: { ...target.header, name: header.name },
      offset: target.offset,
      dataId: target.dataId,
    });
  }

  /** Removes the entry at `name`, if any (its bytes stay in the scratch file). */
  remove(name: string): void {
    this.assertOpen();
    this.records.delete(name);
  }

  /**
   * Removes every entry below the directory `dir` (not `dir` itself), except
   * those for which `keep` returns true.
   */
  removeBelow(dir: string, keep: (name: string) => boolean = () => false): void {
    this.assertOpen();
    const prefix = `${dir}/`;
    for (const name of [...this.records.keys()]) {
      if (name.startsWith(prefix) && !keep(name)) this.records.delete(name);
    }
  }

  /** Adds 0755 root-owned directories for every missing ancestor of every path. */
  private addMissingParents(): void {
    for (const name of [...this.records.keys()]) {
      let slash = name.lastIndexOf("/");
      while (slash > 0) {
        const parent = name.slice(0, slash);
        if (this.records.has(parent)) break;
        this.records.set(parent, {
          header: completeHeader({
            name: parent,
            type: "directory",
            mode: 0o755,
            uid: 0,
            gid: 0,
            mtime: FIXED_MTIME,
          }),
          offset: 0,
          dataId: 0,
        });
        slash = parent.lastIndexOf("/");
      }
    }
  }

  /** Names in archive order: sorted by bytes, missing parents added. Seals the spool. */
  private order(): string[] {
    if (this.sorted === undefined) {
      this.addMissingParents();
      this.sorted = [...this.records.keys()].sort(compareNames);
    }
    return this.sorted;
  }

  /**
   * Every entry in archive order — sorted by name, parents first — as the
   * tar {@link writeSorted} writes would read back: paths sharing bytes
   * through hard links appear once with the data (the first name) and as
   * `link` entries naming it after that. Bodies are read from the scratch
   * file when iterated. Can be read any number of times; the spool can no
   * longer change once read.
   */
  async *sortedEntries(): AsyncGenerator<RootfsEntry, void, undefined> {
    const names = this.order();
    await this.flush();
    const firstNameOfData = new Map<number, string>();
    for (const name of names) {
      const rec = this.records.get(name)!;
      const h = rec.header;
      if (h.type === "file") {
        const first = firstNameOfData.get(rec.dataId);
        if (first !== undefined) {
          yield { header: readBack(h, "link", first) };
          continue;
        }
        firstNameOfData.set(rec.dataId, h.name);
        yield { header: readBack(h), body: this.bodyOf(h.name, rec.offset, h.size) };
      } else {
        yield { header: readBack(h) };
      }
    }
  }

  /** The spool as a {@link RootfsReader} for format writers. */
  reader(): RootfsReader {
    return { bodiesStay: true, entries: () => this.sortedEntries() };
  }

  /**
   * `size` bytes at `offset` in the scratch file, a chunk at a time, read
   * synchronously: the spool was just written and sits in the page cache,
   * so a read is a memory copy, and a thread-pool round trip per chunk
   * would cost more than it (the pool is busy compressing meanwhile).
   */
  private async *bodyOf(
    name: string,
    offset: number,
    size: number,
  ): AsyncGenerator<Buffer, void, undefined> {
    let done = 0;
    while (done < size) {
      const want = Math.min(CHUNK, size - done);
      const buf = Buffer.allocUnsafe(want);
      const got = readSync(this.fh.fd, buf, 0, want, offset + done);
      if (got === 0) throw new Error(`spool ended early for ${name} at offset ${offset + done}`);
      done += got;
      yield got === want ? buf : buf.subarray(0, got);
    }
  }

  /** Writes every entry of {@link sortedEntries} as a tar stream. */
  writeSorted(): Readable {
    const pack = tar.pack();
    const produce = async (): Promise<void> => {
      for await (const { header: h, body } of this.sortedEntries()) {
        const base: PackHeader = {
          name: h.name,
          mode: h.mode === 0 ? MODE_ZERO : h.mode,
          uid: h.uid,
          gid: h.gid,
          mtime: dateOf(h.mtime),
          uname: "",
          gname: "",
        };
        if (h.type === "file") {
          await writeFileEntry(pack, { ...base, type: "file", size: h.size }, body);
        } else {
          await entryDone(pack, {
            ...base,
            type: h.type,
            size: 0,
            linkname: h.type === "symlink" || h.type === "link" ? h.linkname : undefined,
            devmajor: h.devmajor,
            devminor: h.devminor,
          });
        }
      }
      pack.finalize();
    };
    produce().catch((e: unknown) => pack.destroy(e as Error));
    return pack as unknown as Readable;
  }

  /** Closes the scratch file (the caller removes it). */
  async close(): Promise<void> {
    await this.fh.close();
  }
}

/**
 * A spool header as a reader of the written tar sees it: permission bits
 * only, whole seconds, no size but for files, `linkname` only for symlinks (and the links it makes).
 */
function readBack(h: TarHeader, type?: "link", linkname?: string): TarHeader {
  const t = type ?? h.type;
  return {
    name: h.name,
    type: t,
    mode: h.mode & 0o7777,
    uid: h.uid,
    gid: h.gid,
    mtime: Math.floor(h.mtime),
    size: t === "file" ? h.size : 0,
    linkname: linkname ?? (t === "symlink" ? h.linkname : ""),
    devmajor: t === "file" ? 0 : h.devmajor,
    devminor: t === "file" ? 0 : h.devminor,
  };
}

async function writeFileEntry(
  pack: tar.Pack,
  header: PackHeader,
  body: AsyncIterable<Buffer> | undefined,
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    // A destroyed entry emits "error"; unheard, that would be an uncaught exception.
    entry.on("error", reject);
    const pump = async (): Promise<void> => {
      for await (const chunk of body ?? []) {
        if (!entry.write(chunk)) await new Promise<void>((r) => entry.once("drain", () => r()));
      }
      entry.end(undefined);
    };
    pump().catch((e: unknown) => {
      entry.destroy(e as Error);
      reject(e as Error);
    });
  });
}

function entryDone(pack: tar.Pack, header: PackHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve())).on("error", reject);
  });
}

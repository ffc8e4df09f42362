import { open, type FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import tar from "tar-stream";

import { FIXED_MTIME, type EntryHeader } from "./tar-entry";

/** One path in the spooled filesystem; the last write of a path wins. */
interface SpoolRecord {
  header: EntryHeader;
  /** For regular files: where the bytes are in the spool file. */
  offset: number;
  /** Identity of the bytes, shared by hard links so they stay links. */
  dataId: number;
}

const CHUNK = 1 << 20;

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

  private constructor(private readonly fh: FileHandle) {}

  /** Opens a spool backed by the scratch file `path` (created or truncated). */
  static async create(path: string): Promise<TarSpool> {
    return new TarSpool(await open(path, "w+"));
  }

  /** The entry now at `name`, if any. */
  get(name: string): EntryHeader | undefined {
    return this.records.get(name)?.header;
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  /** Number of paths currently held. */
  get size(): number {
    return this.records.size;
  }

  /** Adds an entry whose body (regular files only) comes from a stream. */
  async addStream(header: EntryHeader, body: Readable | undefined): Promise<void> {
    if (header.type === "link") {
      this.addLink(header);
      body?.resume();
      return;
    }
    const offset = this.nextOffset;
    let written = 0;
    if (header.type === "file" && body !== undefined) {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        await this.fh.write(chunk, 0, chunk.length, offset + written);
        written += chunk.length;
      }
    } else {
      body?.resume();
    }
    if (header.type === "file" && written !== header.size) {
      throw new Error(`${header.name}: expected ${header.size} bytes, read ${written}`);
    }
    this.nextOffset += written;
    this.records.set(header.name, {
      header: { ...header, size: written },
      offset,
      dataId: this.nextDataId++,
    });
  }

  /** Adds an entry with an in-memory body (regular files), or none. */
  async addBuffer(header: Omit<EntryHeader, "size">, data?: Buffer): Promise<void> {
    const body = data ?? Buffer.alloc(0);
    const offset = this.nextOffset;
    if (header.type === "file" && body.length > 0) {
      await this.fh.write(body, 0, body.length, offset);
      this.nextOffset += body.length;
    }
    this.records.set(header.name, {
      header: { ...header, size: header.type === "file" ? body.length : 0 },
      offset,
      dataId: this.nextDataId++,
    });
  }

  /**
   * A hard link shares the bytes its target has now; if the target is not a
   * regular file the link is dropped (it could not be extracted either).
   */
  private addLink(header: EntryHeader): void {
    const target = this.records.get(header.linkname ?? "");
    if (target === undefined || target.header.type !== "file") return;
    this.records.set(header.name, {
      header: { ...target.header, name: header.name },
      offset: target.offset,
      dataId: target.dataId,
    });
  }

  /** Removes the entry at `name`, if any (its bytes stay in the scratch file). */
  remove(name: string): void {
    this.records.delete(name);
  }

  /**
   * Removes every entry below the directory `dir` (not `dir` itself), except
   * those for which `keep` returns true.
   */
  removeBelow(dir: string, keep: (name: string) => boolean = () => false): void {
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
          header: {
            name: parent,
            type: "directory",
            mode: 0o755,
            uid: 0,
            gid: 0,
            mtime: FIXED_MTIME,
            size: 0,
          },
          offset: 0,
          dataId: 0,
        });
        slash = parent.lastIndexOf("/");
      }
    }
  }

  /**
   * Writes every entry, sorted by name, as a tar stream. Paths sharing bytes
   * through hard links are written once: the first name holds the data and
   * the others link to it.
   */
  writeSorted(): Readable {
    this.addMissingParents();
    const names = [...this.records.keys()].sort(compareNames);
    const pack = tar.pack();
    const firstNameOfData = new Map<number, string>();
    const produce = async (): Promise<void> => {
      for (const name of names) {
        const rec = this.records.get(name)!;
        const h = rec.header;
        const base: PackHeader = {
          name: h.name,
          mode: h.mode === 0 ? MODE_ZERO : h.mode,
          uid: h.uid,
          gid: h.gid,
          mtime: h.mtime,
          uname: "",
          gname: "",
        };
        if (h.type === "file") {
          const first = firstNameOfData.get(rec.dataId);
          if (first !== undefined) {
            await entryDone(pack, { ...base, type: "link", linkname: first, size: 0 });
            continue;
          }
          firstNameOfData.set(rec.dataId, h.name);
          await this.writeFileEntry(
            pack,
            { ...base, type: "file", size: h.size },
            rec.offset,
            h.size,
          );
        } else {
          await entryDone(pack, {
            ...base,
            type: h.type,
            size: 0,
            linkname: h.type === "symlink" ? h.linkname : undefined,
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

  private async writeFileEntry(
    pack: tar.Pack,
    header: PackHeader,
    offset: number,
    size: number,
  ): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
      // A destroyed entry emits "error"; unheard, that would be an uncaught exception.
      entry.on("error", reject);
      const pump = async (): Promise<void> => {
        let done = 0;
        while (done < size) {
          const want = Math.min(CHUNK, size - done);
          const buf = Buffer.allocUnsafe(want);
          const { bytesRead } = await this.fh.read(buf, 0, want, offset + done);
          if (bytesRead === 0) throw new Error(`spool ended early for ${String(header.name)}`);
          done += bytesRead;
          if (!entry.write(bytesRead === want ? buf : buf.subarray(0, bytesRead))) {
            await new Promise<void>((r) => entry.once("drain", () => r()));
          }
        }
        entry.end(undefined);
      };
      pump().catch((e: unknown) => {
        entry.destroy(e as Error);
        reject(e as Error);
      });
    });
  }

  /** Closes the scratch file (the caller removes it). */
  async close(): Promise<void> {
    await this.fh.close();
  }
}

function entryDone(pack: tar.Pack, header: PackHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve())).on("error", reject);
  });
}

/**
 * A root filesystem under construction: a map of normalised paths to
 * entries, written out as one deterministic tar stream (sorted entries,
 * fixed mtime, root:root owners, implicit parent directories 0755).
 */
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import * as tar from "tar-stream";

/** Every entry's mtime: a fixed instant so equal inputs give equal bytes. */
export const FIXED_MTIME = new Date("2000-01-01T00:00:00Z");

export type Entry =
  | { readonly type: "directory"; readonly path: string; readonly mode: number }
  | { readonly type: "file"; readonly path: string; readonly mode: number; readonly data: Buffer }
  | { readonly type: "symlink"; readonly path: string; readonly target: string };

/** `/a/b/` and `a//b` both become `a/b`; `..` is refused. */
export function normalise(p: string): string {
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.includes("..")) throw new Error(`path ${JSON.stringify(p)} must not contain ".."`);
  if (parts.length === 0) throw new Error(`path ${JSON.stringify(p)} names the root`);
  return parts.join("/");
}

export class Layout {
  private readonly entries = new Map<string, Entry>();

  /** Adds (or replaces) a directory. */
  dir(p: string, mode = 0o755): this {
    const key = normalise(p);
    this.entries.set(key, { type: "directory", path: key, mode });
    return this;
  }

  /** Adds (or replaces) a regular file with the given bytes. */
  file(p: string, data: Buffer | string, mode = 0o644): this {
    const key = normalise(p);
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    this.entries.set(key, { type: "file", path: key, mode, data: bytes });
    return this;
  }

  /** Adds (or replaces) a symbolic link. */
  symlink(p: string, target: string): this {
    const key = normalise(p);
    this.entries.set(key, { type: "symlink", path: key, target });
    return this;
  }

  /**
   * Copies one host file (symlinks followed) to `p`. The mode defaults to
   * 0755 when the host file has any execute bit, else 0644.
   */
  copy(hostPath: string, p: string, mode?: number): this {
    const st = statSync(hostPath);
    if (!st.isFile()) throw new Error(`${hostPath} is not a regular file`);
    return this.file(p, readFileSync(hostPath), mode ?? executableMode(st.mode));
  }

  /**
   * Copies a host directory tree under `prefix` (default: the root).
   * Files get 0755/0644 by their execute bit, directories 0755, symlinks
   * are kept as links.
   */
  tree(hostDir: string, prefix = ""): this {
    for (const name of readdirSync(hostDir).sort()) {
      const hostPath = path.join(hostDir, name);
      const p = prefix === "" ? name : `${prefix}/${name}`;
      const st = lstatSync(hostPath);
      if (st.isSymbolicLink()) this.symlink(p, readlinkSync(hostPath));
      else if (st.isDirectory()) this.dir(p).tree(hostPath, p);
      else if (st.isFile()) this.file(p, readFileSync(hostPath), executableMode(st.mode));
      else throw new Error(`${hostPath}: only files, directories and symlinks can be copied`);
    }
    return this;
  }

  /** Adds every entry of `other`, later wins (like flattening images). */
  merge(other: Layout): this {
    for (const e of other.list()) this.entries.set(e.path, e);
    return this;
  }

  /** The entries sorted by path, with missing parent directories added. */
  list(): Entry[] {
    const all = new Map(this.entries);
    for (const key of this.entries.keys()) {
      const parts = key.split("/");
      for (let i = 1; i < parts.length; i++) {
        const parent = parts.slice(0, i).join("/");
        const existing = all.get(parent);
        if (existing === undefined)
          all.set(parent, { type: "directory", path: parent, mode: 0o755 });
        else if (existing.type !== "directory") {
          throw new Error(`${key}: parent ${parent} is a ${existing.type}, not a directory`);
        }
      }
    }
    return [...all.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * A content digest of the layout (paths, types, modes, link targets and
   * file digests) plus `extra` (e.g. the image config), as hex sha256.
   */
  digest(extra: unknown): string {
    const h = createHash("sha256");
    for (const e of this.list()) {
      const detail =
        e.type === "file"
          ? `${e.mode.toString(8)} ${createHash("sha256").update(e.data).digest("hex")}`
          : e.type === "directory"
            ? e.mode.toString(8)
            : e.target;
      h.update(`${e.type}\0${e.path}\0${detail}\n`);
    }
    h.update(JSON.stringify(extra));
    return h.digest("hex");
  }

  /** The layout as an (uncompressed) tar stream. */
  tarStream(): Readable {
    const pack = tar.pack();
    const entries = this.list();
    void (async () => {
      for (const e of entries) {
        const header = {
          name: e.type === "directory" ? `${e.path}/` : e.path,
          mtime: FIXED_MTIME,
          uid: 0,
          gid: 0,
          uname: "root",
          gname: "root",
        };
        await new Promise<void>((resolve, reject) => {
          const done = (err?: Error | null): void => (err ? reject(err) : resolve());
          if (e.type === "file")
            pack.entry(
              { ...header, type: "file", mode: e.mode, size: e.data.length },
              e.data,
              done,
            );
          else if (e.type === "directory")
            pack.entry({ ...header, type: "directory", mode: e.mode }, done);
          else pack.entry({ ...header, type: "symlink", mode: 0o777, linkname: e.target }, done);
        });
      }
      pack.finalize();
    })().catch((err: unknown) => pack.destroy(err instanceof Error ? err : new Error(String(err))));
    return Readable.from(pack);
  }

  /** The whole tar in memory (for small nested tars such as kernel.tar). */
  async tarBuffer(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.tarStream()) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
}

function executableMode(hostMode: number): number {
  return hostMode & 0o111 ? 0o755 : 0o644;
}

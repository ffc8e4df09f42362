import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough, type Readable } from "node:stream";

import type { ImageSource, ResolveOptions, ResolvedImage } from "./image-source";

/** Default cache folder: `$XDG_CACHE_HOME/pulumi-linuxkit/exports` or `~/.cache/...`. */
export function defaultExportCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(base, "pulumi-linuxkit", "exports");
}

/** Suffix of a cached tree; bumped whenever the way trees are produced changes. */
const TREE_SUFFIX = ".layers.tar";

/** Default size budget of the cache, in bytes (2 GiB). */
export const DEFAULT_EXPORT_CACHE_BYTES = 2 * 1024 ** 3;

/**
 * Keeps each image's exported root filesystem on disk, keyed by the image
 * id (a content address: a moved tag is a new id), so a rebuild after a
 * change to `files` or to one image does not export every other image from
 * the engine again. The least recently used exports are dropped beyond the
 * size budget. A partial export never enters the cache.
 */
export class ExportCachingSource implements ImageSource {
  /** Background work of exports read so far: finishing, renaming and pruning a copy, or removing a discarded one. */
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly inner: ImageSource,
    private readonly dir: string = defaultExportCacheDir(),
    private readonly maxBytes: number = DEFAULT_EXPORT_CACHE_BYTES,
  ) {}

  resolve(ref: string, options?: ResolveOptions): Promise<ResolvedImage> {
    return this.inner.resolve(ref, options);
  }

  /**
   * Resolves once the background work of every export started so far is
   * done: a complete copy is in the cache (and the budget applied), a
   * failed or abandoned one is removed. Reading an export to its end does
   * not wait for its copy; callers that need the cache settled (tests,
   * a process about to exit) await this.
   */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /**
   * `<id>.layers.tar`: trees applied from the image's layers. (Files named
   * `<id>.tar` hold container exports of older versions; they are never
   * read again and leave with the size budget.)
   */
  private fileFor(image: ResolvedImage): string {
    return path.join(
      this.dir,
      `${image.id.replace(/^sha256:/, "").replace(/[^a-zA-Z0-9]/g, "_")}${TREE_SUFFIX}`,
    );
  }

  async exportRootfs(image: ResolvedImage): Promise<Readable> {
    const file = this.fileFor(image);
    try {
      await stat(file);
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined);
      return createReadStream(file, { highWaterMark: 1 << 20 });
    } catch {
      // not cached yet
    }
    await mkdir(this.dir, { recursive: true });
    const source = await this.inner.exportRootfs(image);
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(16).slice(2)}`;
    const copy = createWriteStream(tmp);
    const out = new PassThrough({ highWaterMark: 1 << 20 });
    let failed = false;
    // Not `source.readableEnded`: sources need not be Node streams (streamx has no such field).
    let ended = false;
    const discard = (): void => {
      failed = true;
      copy.destroy();
    };
    // Every outcome ends with the copy closed: then it enters the cache or is removed.
    const settled = new Promise<void>((resolve) => {
      copy.on("close", () => {
        const work =
          failed || !ended
            ? rm(tmp, { force: true })
            : rename(tmp, file)
                .then(() => this.prune())
                .catch(() => rm(tmp, { force: true }));
        void work.catch(() => undefined).then(resolve);
      });
    });
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    source.on("error", (e: Error) => {
      discard();
      out.destroy(e);
    });
    // the cache is an optimisation: a full disk only loses the copy
    copy.on("error", discard);
    source.on("data", (chunk: Buffer) => {
      if (!failed) copy.write(chunk);
      if (!out.write(chunk)) {
        source.pause();
        out.once("drain", () => source.resume());
      }
    });
    source.on("end", () => {
      ended = true;
      out.end();
      if (!failed) copy.end();
    });
    out.on("close", () => {
      if (!ended) {
        discard();
        source.destroy();
      }
    });
    return out;
  }

  /** Drops least recently used exports beyond the size budget. */
  async prune(): Promise<void> {
    const entries = await readdir(this.dir).catch(() => [] as string[]);
    const files = [];
    for (const name of entries) {
      if (!name.endsWith(".tar")) continue;
      const st = await stat(path.join(this.dir, name)).catch(() => undefined);
      if (st) files.push({ name, size: st.size, used: st.mtimeMs });
    }
    files.sort((a, b) => b.used - a.used);
    let total = 0;
    for (const f of files) {
      total += f.size;
      if (total > this.maxBytes) await rm(path.join(this.dir, f.name), { force: true });
    }
  }
}

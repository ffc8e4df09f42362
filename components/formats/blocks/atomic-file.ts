/**
 * All-or-nothing file output. A file is written under a temporary name in
 * its destination directory (`.<base>.tmp-<random>`), flushed to disk, then
 * renamed into place, so readers never see a half-written artifact. An
 * {@link ArtifactSet} does the same for several files at once: all are
 * written first, then all are renamed; if anything fails, none stays.
 *
 * In a staging folder that its owner publishes as a whole (the build
 * pipeline's, see {@link FormatContext.staged}), publishing each file again
 * would be wasted work: with `direct`, files are written straight under
 * their final names, without temporary name, fsync or rename, and still
 * removed when anything fails.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { FormatContext } from "./types";

/** Writes the file at `tmpPath` (creating it). */
export type Produce<T> = (tmpPath: string, signal?: AbortSignal) => Promise<T>;

/** Options for atomic writes. */
export interface AtomicOptions {
  /** Aborting removes the temporary files and rejects. */
  signal?: AbortSignal;
  /**
   * Write straight to the destination (no temporary name, fsync or
   * rename): for a private staging folder published later by its owner.
   * A failure still removes what was written. Default false.
   */
  direct?: boolean;
}

/** The atomic-write options for a format writing under `ctx`: direct when its output is staged. */
export function publishOptions(ctx: Pick<FormatContext, "signal" | "staged">): AtomicOptions {
  return { signal: ctx.signal, direct: ctx.staged === true };
}

/** The temporary name used for `dest`: same directory, hidden, random suffix. */
export function tempPathFor(dest: string): string {
  return path.join(
    path.dirname(dest),
    `.${path.basename(dest)}.tmp-${randomBytes(6).toString("hex")}`,
  );
}

async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    await fsyncPath(dir);
  } catch {
    // Some filesystems cannot fsync a directory; the rename is still atomic.
  }
}

/**
 * Writes `dest` atomically: `produce` writes a temporary file next to it,
 * which is fsynced and renamed over `dest`. On any failure or abort the
 * temporary file is removed and `dest` is left as it was.
 * @returns whatever `produce` returned.
 */
export async function writeAtomic<T>(
  dest: string,
  produce: Produce<T>,
  opts: AtomicOptions = {},
): Promise<T> {
  const set = new ArtifactSet(opts);
  try {
    const result = await set.add(dest, produce);
    await set.commit();
    return result;
  } catch (err) {
    await set.discard();
    throw err;
  }
}

interface Pending {
  dest: string;
  tmp: string;
}

/**
 * Several files published together. `add` writes each one under a
 * temporary name; `commit` renames them all into place; `discard` (or a
 * failed `commit`) removes the temporary files and any file of this set
 * already renamed into place.
 */
export class ArtifactSet {
  private readonly pending: Pending[] = [];
  private readonly published: string[] = [];
  private state: "open" | "committed" | "discarded" = "open";

  constructor(private readonly opts: AtomicOptions = {}) {}

  /** Destinations added so far, in order. */
  get destinations(): string[] {
    return this.pending.map((p) => p.dest);
  }

  /**
   * Writes the file that will become `dest` (through `produce`) and flushes
   * it to disk. Nothing is visible at `dest` until {@link commit}.
   */
  async add<T>(dest: string, produce: Produce<T>): Promise<T> {
    if (this.state !== "open") throw new Error(`artifact set already ${this.state}`);
    const target = path.resolve(dest);
    if (this.pending.some((p) => p.dest === target))
      throw new Error(`${target} added twice to one artifact set`);
    const { signal, direct } = this.opts;
    const tmp = direct === true ? target : tempPathFor(target);
    this.pending.push({ dest: target, tmp });
    signal?.throwIfAborted();
    // A file already there may be a hard link to someone else's bytes: never write through it.
    if (direct === true) await rm(target, { force: true });
    const result = await produce(tmp, signal);
    signal?.throwIfAborted();
    if (direct !== true) await fsyncPath(tmp);
    return result;
  }

  /** Renames every file into place. On failure nothing of this set remains and the error is rethrown. */
  async commit(): Promise<void> {
    if (this.state !== "open") throw new Error(`artifact set already ${this.state}`);
    try {
      this.opts.signal?.throwIfAborted();
      if (this.opts.direct === true) {
        this.state = "committed";
        return;
      }
      for (const p of this.pending) {
        await rename(p.tmp, p.dest);
        this.published.push(p.dest);
      }
      for (const dir of new Set(this.pending.map((p) => path.dirname(p.dest)))) await fsyncDir(dir);
      this.state = "committed";
    } catch (err) {
      await this.discard();
      throw err;
    }
  }

  /** Removes the temporary files and anything this set already published. Safe to call twice. */
  async discard(): Promise<void> {
    if (this.state === "committed") return;
    this.state = "discarded";
    const victims = [...this.pending.map((p) => p.tmp), ...this.published];
    await Promise.all(victims.map((v) => rm(v, { force: true })));
  }
}

/**
 * Runs `fill` with a fresh {@link ArtifactSet} and commits it; if `fill` or
 * the commit fails, discards it and rethrows.
 */
export async function publishTogether<T>(
  fill: (set: ArtifactSet) => Promise<T>,
  opts: AtomicOptions = {},
): Promise<T> {
  const set = new ArtifactSet(opts);
  try {
    const result = await fill(set);
    await set.commit();
    return result;
  } catch (err) {
    await set.discard();
    throw err;
  }
}

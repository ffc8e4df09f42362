import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";

import { withFileLock } from "./file-lock";
import { isIndex, isManifest, MEDIA, type Descriptor, type ImageIndex } from "./media-types";

/** The annotation an OCI layout's index.json names an image by (LinuxKit's cache uses it too). */
export const REF_NAME = "org.opencontainers.image.ref.name";

/** Default folder: `$XDG_CACHE_HOME/pulumi-linuxkit/oci`, else `~/.cache/pulumi-linuxkit/oci`. */
export function defaultOciCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PULUMI_LINUXKIT_OCI_CACHE) return env.PULUMI_LINUXKIT_OCI_CACHE;
  const base = env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(base, "pulumi-linuxkit", "oci");
}

/** LinuxKit's own image cache (`linuxkit build` pulls into it). */
export function linuxkitCacheDir(): string {
  return path.join(os.homedir(), ".linuxkit", "cache");
}

const DIGEST = /^sha256:([a-f0-9]{64})$/;

/** Thrown when bytes written under a digest do not hash to it. */
export class DigestMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly bytes: number,
  ) {
    super(`the content of ${expected} hashes to ${actual} (${bytes} bytes)`);
    this.name = "DigestMismatch";
  }
}

function hexOf(digest: string): string {
  const m = DIGEST.exec(digest);
  if (!m) throw new Error(`unsupported digest "${digest}" (only sha256 is)`);
  return m[1]!;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * An OCI image layout on disk (`oci-layout`, `index.json`, `blobs/sha256/`),
 * safe to share between concurrent builds and to kill at any moment:
 *
 * - a blob is streamed to `tmp/<hex>.<pid>.<random>`, hashed as it goes,
 *   fsync'd, and renamed to `blobs/sha256/<hex>` only when its digest is
 *   right: a blob in `blobs/` is always whole and correct, a killed write
 *   leaves only a temp file (removed later, once its process is gone);
 * - `index.json` (image name → top-level manifest) is changed under a lock
 *   file, written to a temp file and renamed, so concurrent builds never
 *   lose each other's entries.
 *
 * With `readOnly`, nothing is ever written (LinuxKit's cache is read so).
 */
export class OciLayout {
  constructor(
    readonly dir: string,
    readonly readOnly = false,
  ) {}

  blobPath(digest: string): string {
    return path.join(this.dir, "blobs", "sha256", hexOf(digest));
  }

  async hasBlob(digest: string): Promise<boolean> {
    try {
      return (await stat(this.blobPath(digest))).isFile();
    } catch {
      return false;
    }
  }

  async readBlob(digest: string): Promise<Buffer> {
    return readFile(this.blobPath(digest));
  }

  openBlob(digest: string): Readable {
    return createReadStream(this.blobPath(digest), { highWaterMark: 1 << 20 });
  }

  private async ensure(): Promise<void> {
    if (this.readOnly) throw new Error(`${this.dir} is read-only here`);
    await mkdir(path.join(this.dir, "blobs", "sha256"), { recursive: true });
    await mkdir(path.join(this.dir, "tmp"), { recursive: true });
    const marker = path.join(this.dir, "oci-layout");
    if (!(await stat(marker).catch(() => undefined))) {
      await this.writeAtomic(marker, Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
    }
  }

  /** Writes `data` to `file` by temp file + fsync + rename. */
  private async writeAtomic(file: string, data: Buffer): Promise<void> {
    const tmp = path.join(
      path.dirname(file),
      `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}`,
    );
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  }

  /**
   * Stores the bytes of `source` as blob `digest`, verifying the digest
   * (and `size`, when given) while they stream. On a mismatch nothing is
   * stored and a DigestMismatch is thrown. `onBytes` sees each chunk's
   * length (for progress). A blob already present is not written again.
   */
  async putBlob(
    digest: string,
    source: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer>,
    options: { size?: number; onBytes?: (n: number) => void } = {},
  ): Promise<void> {
    const hex = hexOf(digest);
    await this.ensure();
    const tmp = path.join(
      this.dir,
      "tmp",
      `${hex}.${process.pid}.${randomBytes(4).toString("hex")}`,
    );
    const hash = createHash("sha256");
    let bytes = 0;
    const handle = await open(tmp, "w");
    try {
      for await (const chunk of source) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        hash.update(buf);
        bytes += buf.length;
        await handle.write(buf);
        options.onBytes?.(buf.length);
      }
      const actual = `sha256:${hash.digest("hex")}`;
      if (actual !== digest || (options.size !== undefined && options.size !== bytes)) {
        throw new DigestMismatch(digest, actual, bytes);
      }
      await handle.sync();
      await handle.close();
      await rename(tmp, this.blobPath(digest));
    } catch (e) {
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
  }

  /** Stores a small document (manifest, index, config) under its digest. */
  async putBytes(data: Buffer): Promise<string> {
    const digest = `sha256:${createHash("sha256").update(data).digest("hex")}`;
    if (!(await this.hasBlob(digest))) await this.putBlob(digest, [data]);
    return digest;
  }

  /** The layout's index.json (an empty index when there is none yet). */
  async readIndex(): Promise<ImageIndex> {
    try {
      const doc = JSON.parse(
        await readFile(path.join(this.dir, "index.json"), "utf8"),
      ) as ImageIndex;
      return { ...doc, manifests: Array.isArray(doc.manifests) ? doc.manifests : [] };
    } catch {
      return { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] };
    }
  }

  /** The top-level manifest `name` (a full reference) points at, if the index has it. */
  async lookup(name: string): Promise<Descriptor | undefined> {
    const index = await this.readIndex();
    return index.manifests.find((m) => m.annotations?.[REF_NAME] === name);
  }

  /** Changes index.json under the lock: `change` gets the current entries and returns the new ones. */
  async updateIndex(change: (entries: Descriptor[]) => Descriptor[]): Promise<void> {
    await this.ensure();
    await withFileLock(path.join(this.dir, "index.json.lock"), async () => {
      const index = await this.readIndex();
      const next: ImageIndex = {
        schemaVersion: 2,
        mediaType: MEDIA.ociIndex,
        manifests: change(index.manifests),
      };
      await this.writeAtomic(
        path.join(this.dir, "index.json"),
        Buffer.from(JSON.stringify(next, null, 2) + "\n"),
      );
    });
  }

  /** Points `name` at `descriptor` (replacing what it pointed at). */
  async tag(name: string, descriptor: Descriptor): Promise<void> {
    await this.updateIndex((entries) => [
      ...entries.filter((m) => m.annotations?.[REF_NAME] !== name),
      {
        mediaType: descriptor.mediaType,
        digest: descriptor.digest,
        size: descriptor.size,
        annotations: { [REF_NAME]: name },
      },
    ]);
  }

  /**
   * Every blob reachable from `roots` that is present: the documents, the
   * platform manifests of an index that were pulled, configs and layers.
   */
  async reachable(roots: readonly Descriptor[]): Promise<Set<string>> {
    const seen = new Set<string>();
    const queue = roots.map((r) => r.digest);
    while (queue.length > 0) {
      const digest = queue.pop()!;
      if (seen.has(digest) || !DIGEST.test(digest) || !(await this.hasBlob(digest))) continue;
      seen.add(digest);
      let doc: unknown;
      try {
        const bytes = await this.readBlob(digest);
        if (bytes.length > 4 << 20 || bytes[0] !== 0x7b) continue; // not a JSON document
        doc = JSON.parse(bytes.toString("utf8"));
      } catch {
        continue;
      }
      if (isIndex(undefined, doc)) queue.push(...doc.manifests.map((m) => m.digest));
      else if (isManifest(undefined, doc)) {
        queue.push(doc.config.digest, ...doc.layers.map((l) => l.digest));
      }
    }
    return seen;
  }

  /**
   * Removes every blob no index entry reaches, and temp files of writers
   * that are gone. Returns what was removed (count and bytes).
   */
  async prune(): Promise<{ blobs: number; bytes: number }> {
    const removed = { blobs: 0, bytes: 0 };
    await withFileLock(path.join(this.dir, "index.json.lock"), async () => {
      const keep = await this.reachable((await this.readIndex()).manifests);
      const blobDir = path.join(this.dir, "blobs", "sha256");
      for (const hex of await readdir(blobDir).catch(() => [] as string[])) {
        if (keep.has(`sha256:${hex}`)) continue;
        const file = path.join(blobDir, hex);
        const size = (await stat(file).catch(() => undefined))?.size ?? 0;
        await rm(file, { force: true });
        removed.blobs++;
        removed.bytes += size;
      }
    });
    await this.removeStaleTemp();
    return removed;
  }

  /** Removes temp files whose writing process no longer runs (left by a kill -9). */
  async removeStaleTemp(): Promise<number> {
    let n = 0;
    const tmpDir = path.join(this.dir, "tmp");
    for (const name of await readdir(tmpDir).catch(() => [] as string[])) {
      const pid = Number(name.split(".")[1]);
      if (Number.isInteger(pid) && pid > 0 && alive(pid) && pid !== process.pid) continue;
      if (pid === process.pid) continue;
      await rm(path.join(tmpDir, name), { force: true });
      n++;
    }
    return n;
  }

  /** Total bytes of the blobs `digests` that are present. */
  async sizeOf(digests: Iterable<string>): Promise<number> {
    let total = 0;
    for (const d of digests)
      total += (await stat(this.blobPath(d)).catch(() => undefined))?.size ?? 0;
    return total;
  }
}

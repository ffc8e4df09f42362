import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * What the filesystem says about a file, recorded when it was published:
 * any write to it changes its ctime (which no program can set back), and a
 * replacement is another inode. Integers as decimal strings (nanoseconds).
 */
export interface ArtifactStamp {
  dev: string;
  ino: string;
  mtimeNs: string;
  ctimeNs: string;
}

/** One published output file. */
export interface ArtifactRecord {
  format: string;
  /** File name inside the output directory. */
  file: string;
  size: number;
  sha256: string;
  /** The file's stamp when published; absent in manifests of older builds. */
  stamp?: ArtifactStamp;
}

/** What a finished build left in its output directory, keyed by content. */
export interface BuildManifest {
  version: 1;
  cacheKey: string;
  name: string;
  artifacts: ArtifactRecord[];
  /** Image reference → content id used. */
  images: Record<string, string>;
  cmdline: string;
  /** The architecture built for; absent for amd64 (and in manifests of older builds). */
  arch?: "arm64";
}

/** Where the manifest of build `name` lives. */
export function manifestPath(outputDir: string, name: string): string {
  return path.join(outputDir, `.${name}.linuxkit-build.json`);
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }))
    hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function readManifest(
  outputDir: string,
  name: string,
): Promise<BuildManifest | undefined> {
  try {
    const m = JSON.parse(await readFile(manifestPath(outputDir, name), "utf8")) as BuildManifest;
    return m.version === 1 ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The stamp of `file` now (see {@link ArtifactStamp}). */
export async function artifactStamp(file: string): Promise<ArtifactStamp> {
  const s = await stat(file, { bigint: true });
  return {
    dev: s.dev.toString(),
    ino: s.ino.toString(),
    mtimeNs: s.mtimeNs.toString(),
    ctimeNs: s.ctimeNs.toString(),
  };
}

/** {@link artifactStamp}, synchronously (for the publish's uninterrupted section). */
export function artifactStampSync(file: string): ArtifactStamp {
  const s = statSync(file, { bigint: true });
  return {
    dev: s.dev.toString(),
    ino: s.ino.toString(),
    mtimeNs: s.mtimeNs.toString(),
    ctimeNs: s.ctimeNs.toString(),
  };
}

function sameStamp(a: ArtifactStamp, b: ArtifactStamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/**
 * True when every artifact the manifest lists is still there with the
 * recorded size and sha256 (a file edited or truncated by hand is a miss).
 * A file whose size and stamp are as recorded is not read: only when the
 * stamp differs (touched, copied back, edited) or was not recorded are its
 * bytes hashed (with `hash`, default {@link sha256File}) and compared.
 */
export async function artifactsIntact(
  outputDir: string,
  manifest: BuildManifest,
  hash: (file: string) => Promise<string> = sha256File,
): Promise<boolean> {
  for (const a of manifest.artifacts) {
    const file = path.join(outputDir, a.file);
    try {
      const s = await stat(file);
      if (!s.isFile() || s.size !== a.size) return false;
      if (a.stamp !== undefined && sameStamp(await artifactStamp(file), a.stamp)) continue;
      if ((await hash(file)) !== a.sha256) return false;
    } catch {
      return false;
    }
  }
  return true;
}

export async function writeManifest(outputDir: string, manifest: BuildManifest): Promise<void> {
  const dest = manifestPath(outputDir, manifest.name);
  const tmp = `${dest}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, dest);
}

export async function removeManifest(outputDir: string, name: string): Promise<void> {
  await unlink(manifestPath(outputDir, name)).catch(() => undefined);
}

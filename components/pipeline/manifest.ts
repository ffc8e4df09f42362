import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

/** One published output file. */
export interface ArtifactRecord {
  format: string;
  /** File name inside the output directory. */
  file: string;
  size: number;
  sha256: string;
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

/**
 * True when every artifact the manifest lists is still there with the
 * recorded size and sha256 (a file edited or truncated by hand is a miss).
 */
export async function artifactsIntact(
  outputDir: string,
  manifest: BuildManifest,
): Promise<boolean> {
  for (const a of manifest.artifacts) {
    const file = path.join(outputDir, a.file);
    try {
      if ((await stat(file)).size !== a.size) return false;
      if ((await sha256File(file)) !== a.sha256) return false;
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

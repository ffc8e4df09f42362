/**
 * The last stage of a build: the artifacts written in the staging folder
 * are flushed and renamed into the output folder, once, all together.
 */
import { open, rename } from "node:fs/promises";
import path from "node:path";

import { artifactStamp, type ArtifactRecord } from "./manifest";

async function fsync(p: string): Promise<void> {
  const fh = await open(p, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Flushes every staged file of `records` to disk, renames each from
 * `stageDir` into `outputDir` (same filesystem) and flushes the folder.
 * @returns the records with each file's stamp as published, for the manifest.
 */
export async function publishStaged(
  stageDir: string,
  outputDir: string,
  records: readonly ArtifactRecord[],
): Promise<ArtifactRecord[]> {
  for (const r of records) await fsync(path.join(stageDir, r.file));
  for (const r of records) await rename(path.join(stageDir, r.file), path.join(outputDir, r.file));
  // Some filesystems cannot fsync a folder; the renames are still atomic.
  await fsync(outputDir).catch(() => undefined);
  return Promise.all(
    records.map(async (r) => ({ ...r, stamp: await artifactStamp(path.join(outputDir, r.file)) })),
  );
}

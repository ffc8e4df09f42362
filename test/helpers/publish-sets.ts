/**
 * Artifact sets for publish tests: a build's files staged in a scratch
 * folder, published with {@link publishBuild}, and what an output folder
 * holds afterwards, so a test can say it holds exactly one set.
 */
import { createHash } from "node:crypto";
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { readManifest, type ArtifactRecord } from "../../components/pipeline/manifest";
import { publishBuild, type PublishStep } from "../../components/pipeline/publish";
import { createScratchDir, removeScratchDir } from "../../components/pipeline/scratch-dir";

/** File name → contents; the cache key tells sets apart. */
export interface ArtifactSetFixture {
  cacheKey: string;
  files: Record<string, string>;
}

const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

/** Stages `set` in a fresh scratch folder of `out` and publishes it as build `name`. */
export async function publishSet(
  out: string,
  name: string,
  set: ArtifactSetFixture,
  beforeStep?: (step: PublishStep) => void,
): Promise<void> {
  const scratch = await createScratchDir(out);
  try {
    const stageDir = path.join(scratch, "out");
    await mkdir(stageDir);
    const records: ArtifactRecord[] = [];
    for (const [file, text] of Object.entries(set.files)) {
      await writeFile(path.join(stageDir, file), text);
      // as a writer leaves them under umask 022, whatever the test runner's umask
      await chmod(path.join(stageDir, file), 0o644);
      records.push({ format: "kernel+initrd", file, size: text.length, sha256: sha(text) });
    }
    await publishBuild({
      stageDir,
      outputDir: out,
      name,
      records,
      manifest: (artifacts) => ({
        version: 1,
        cacheKey: set.cacheKey,
        name,
        artifacts,
        images: {},
        cmdline: "",
      }),
      beforeStep,
    });
  } finally {
    await removeScratchDir(scratch);
  }
}

/** What `out` shows: every file not hidden (name → contents), and the manifest's key and files. */
export async function outputView(
  out: string,
  name: string,
): Promise<{ files: Record<string, string>; manifest?: { cacheKey: string; files: string[] } }> {
  const files: Record<string, string> = {};
  for (const entry of (await readdir(out)).sort()) {
    if (entry.startsWith(".")) continue;
    files[entry] = await readFile(path.join(out, entry), "utf8");
  }
  const m = await readManifest(out, name);
  return m === undefined
    ? { files }
    : { files, manifest: { cacheKey: m.cacheKey, files: m.artifacts.map((a) => a.file).sort() } };
}

/** The view of `out` holding exactly `set` (plus `others`, files of nobody's build). */
export function viewOf(
  set: ArtifactSetFixture,
  others: Record<string, string> = {},
): Awaited<ReturnType<typeof outputView>> {
  const files = Object.fromEntries(
    Object.entries({ ...others, ...set.files }).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return { files, manifest: { cacheKey: set.cacheKey, files: Object.keys(set.files).sort() } };
}

import { readdir, rm } from "node:fs/promises";
import path from "node:path";

import { makeTempDir, removeTempDir, removeTempDirsSync } from "../temp-dirs";

const PREFIX = ".linuxkit-tmp-";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A scratch directory inside the output directory (so the final renames
 * stay on one filesystem), named after this process. Leftovers of builds
 * whose process died are removed first.
 */
export async function createScratchDir(outputDir: string): Promise<string> {
  for (const entry of await readdir(outputDir).catch(() => [] as string[])) {
    if (!entry.startsWith(PREFIX)) continue;
    const pid = Number(entry.slice(PREFIX.length).split("-")[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) {
      await rm(path.join(outputDir, entry), { recursive: true, force: true });
    }
  }
  return makeTempDir(outputDir, `${PREFIX}${process.pid}-`);
}

/** Removes a scratch directory made by createScratchDir. */
export async function removeScratchDir(dir: string): Promise<void> {
  await removeTempDir(dir);
}

/**
 * Removes every scratch directory of this process right now, and every
 * other temporary folder it made (temp-dirs.ts): for signal handlers,
 * which run no `finally` blocks before the process exits.
 */
export function removeActiveScratchDirsSync(): void {
  removeTempDirsSync();
}

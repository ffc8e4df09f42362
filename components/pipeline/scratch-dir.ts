import { rmSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import path from "node:path";

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
  const dir = await mkdtemp(path.join(outputDir, `${PREFIX}${process.pid}-`));
  active.add(dir);
  return dir;
}

const active = new Set<string>();

/** Removes a scratch directory made by createScratchDir. */
export async function removeScratchDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  active.delete(dir);
}

/**
 * Removes every scratch directory of this process right now: for signal
 * handlers, which run no `finally` blocks before the process exits.
 */
export function removeActiveScratchDirsSync(): void {
  for (const dir of active) rmSync(dir, { recursive: true, force: true });
  active.clear();
}

/**
 * Temporary folders this process made (build scratch, unpacked images,
 * layer spools), known by name so that a signal handler can remove them:
 * on SIGINT or SIGTERM the CLI exits without running any `finally`, so a
 * folder only a `finally` would have removed stays behind unless it is
 * listed here. Make them with {@link makeTempDir} and remove them with
 * {@link removeTempDir}.
 */
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";

const owned = new Set<string>();

/** `mkdtemp(<parent>/<prefix>XXXXXX)`, listed for {@link removeTempDirsSync}. */
export async function makeTempDir(parent: string, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(parent, prefix));
  owned.add(dir);
  return dir;
}

/** Removes a folder made by {@link makeTempDir} and everything in it. */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  owned.delete(dir);
}

/** The folders made by {@link makeTempDir} and not yet removed. */
export function ownedTempDirs(): string[] {
  return [...owned];
}

/** Removes every folder of {@link ownedTempDirs} now: for signal handlers. */
export function removeTempDirsSync(): void {
  for (const dir of owned) rmSync(dir, { recursive: true, force: true });
  owned.clear();
}

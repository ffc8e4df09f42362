/** Putting a file's bytes under a second name as cheaply as the filesystem allows. */
import { copyFile, link } from "node:fs/promises";

/**
 * Makes `to` (which must not exist) a hard link to `from`, or a copy of it
 * when the two are on different filesystems or the filesystem has no hard
 * links. Callers must not write through either name afterwards.
 */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP" && code !== "EMLINK") throw err;
    await copyFile(from, to);
  }
}

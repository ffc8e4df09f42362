import { open, readFile, rm } from "node:fs/promises";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs `task` holding the lock file `lockPath` (created exclusively, with
 * our pid in it). A lock whose holder has died (kill -9) is taken over;
 * a live holder is waited for, up to `timeoutMs`.
 */
export async function withFileLock<T>(
  lockPath: string,
  task: () => Promise<T>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number((await readFile(lockPath, "utf8").catch(() => "")).trim());
      if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
        await rm(lockPath, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${lockPath} is held by process ${holder || "(unknown)"} for more than ${timeoutMs / 1000} s; ` +
            "if no other build is running, remove the file",
          { cause: e },
        );
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  try {
    return await task();
  } finally {
    await rm(lockPath, { force: true });
  }
}

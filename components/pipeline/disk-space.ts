/**
 * A build that runs out of disk space (ENOSPC, or EDQUOT over a quota)
 * says which filesystem is full, how much is free, and what to do, instead
 * of an `ENOSPC: no space left on device, write` with no path. The build
 * stages everything in a scratch folder inside the output folder (so the
 * final renames stay on one filesystem): that filesystem is the one that
 * needs the room.
 */
import { readFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import path from "node:path";

import { LinuxKitError } from "../errors/errors";

const NO_SPACE = /\bENOSPC\b|\bEDQUOT\b|No space left on device|Disk quota exceeded/;

/** True when `e` (or an error it wraps) is a full filesystem or an exceeded quota. */
export function isNoSpace(e: unknown): boolean {
  for (let cur = e, depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    const err = cur as { code?: unknown; message?: unknown; cause?: unknown };
    if (err.code === "ENOSPC" || err.code === "EDQUOT") return true;
    if (typeof err.message === "string" && NO_SPACE.test(err.message)) return true;
    cur = err.cause;
  }
  return false;
}

/** The mount point and filesystem type holding `p` (from /proc/self/mountinfo), if known. */
function mountOf(p: string): { mountPoint: string; fsType: string } | undefined {
  let best: { mountPoint: string; fsType: string } | undefined;
  try {
    for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
      const [left, right] = line.split(" - ");
      const mountPoint = left?.split(" ")[4]?.replace(/\\040/g, " ");
      const fsType = right?.split(" ")[0];
      if (mountPoint === undefined || fsType === undefined) continue;
      const inside =
        p === mountPoint || p.startsWith(mountPoint.endsWith("/") ? mountPoint : `${mountPoint}/`);
      if (inside && (best === undefined || mountPoint.length >= best.mountPoint.length)) {
        best = { mountPoint, fsType };
      }
    }
  } catch {
    /* not Linux, or no /proc: say less */
  }
  return best;
}

const mib = (bytes: number): string => `${(bytes / (1 << 20)).toFixed(1)} MiB`;

/**
 * The error for a build of `name` that ran out of space in `outputDir`
 * while `doing` (`building`, `publishing`).
 */
export async function noSpaceError(
  name: string,
  outputDir: string,
  doing: string,
  cause: unknown,
): Promise<LinuxKitError> {
  const dir = path.resolve(outputDir);
  const mount = mountOf(dir);
  const free = await statfs(dir)
    .then((s) => s.bavail * s.bsize)
    .catch(() => undefined);
  const where =
    mount === undefined
      ? dir
      : `${dir} (the ${mount.fsType} filesystem mounted at ${mount.mountPoint})`;
  return new LinuxKitError(
    "BUILD",
    `build of ${name} failed while ${doing}: no space left on ${where}${free === undefined ? "" : `, ${mib(free)} free`}`,
    {
      hint: `free space on ${mount?.mountPoint ?? dir} (see \`df -h ${dir}\`) or set outputDir to a folder on a larger filesystem, then build again: the build stages its root filesystem and every output there; nothing of this build was left behind`,
      cause,
    },
  );
}

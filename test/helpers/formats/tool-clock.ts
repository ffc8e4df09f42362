/**
 * An injected wall clock for the external tools a build runs (qemu-img,
 * mtools, grub-mkimage, syslinux, ...), so a test proves their output does
 * not depend on the time without sleeping into the next second: wrappers
 * put first on PATH exec each tool under libfaketime's `faketime` starting
 * at another date. The build finds its tools on PATH (`requireTool`) and
 * passes PATH on to them (`toolEnv`), so it runs the wrappers unchanged.
 */
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { findOnPath } from "../../../components/formats/blocks/tools";

const execFileAsync = promisify(execFile);

/** Why the clock cannot be moved here (no `faketime`), or undefined. */
export async function toolClockSkipReason(): Promise<string | undefined> {
  return (await findOnPath("faketime")) === undefined
    ? "needs faketime (apt-get install faketime)"
    : undefined;
}

/**
 * Runs `use` while `tools` see the wall clock start at `at` (UTC, e.g.
 * "2011-06-15 12:34:56"). Wrappers go in a fresh folder under `scratch`;
 * PATH is restored afterwards. Throws when a tool or `faketime` is missing,
 * or when the faked clock does not take (checked with `date`).
 */
export async function withToolClock<T>(
  at: string,
  tools: readonly string[],
  scratch: string,
  use: () => Promise<T>,
): Promise<T> {
  const faketime = await findOnPath("faketime");
  if (faketime === undefined) throw new Error("needs faketime (apt-get install faketime)");
  const spec = `@${at}`;
  const year = at.slice(0, 4);
  const { stdout } = await execFileAsync(faketime, ["-f", spec, "date", "-u", "+%Y"], {
    env: { ...process.env, TZ: "UTC" },
  });
  if (stdout.trim() !== year)
    throw new Error(`faketime did not move the clock to ${at}: date says ${stdout.trim()}`);
  const bin = await mkdtemp(path.join(scratch, "tool-clock-"));
  for (const tool of new Set(tools)) {
    const real = await findOnPath(tool);
    if (real === undefined) throw new Error(`${tool} is not on PATH`);
    await writeFile(
      path.join(bin, tool),
      `#!/bin/sh\nexec ${JSON.stringify(faketime)} -f ${JSON.stringify(spec)} ${JSON.stringify(real)} "$@"\n`,
      { mode: 0o755 },
    );
  }
  const saved = process.env.PATH;
  process.env.PATH = `${bin}${path.delimiter}${saved ?? ""}`;
  try {
    return await use();
  } finally {
    process.env.PATH = saved;
  }
}

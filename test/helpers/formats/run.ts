/** Running the Debian tools the tests compare against. */
import { spawnSync } from "node:child_process";

/** Runs `command` with `input` on stdin; throws with stderr unless it exits 0. */
export function run(
  command: string,
  args: string[],
  opts: { input?: Buffer; cwd?: string } = {},
): Buffer {
  const r = spawnSync(command, args, { input: opts.input, cwd: opts.cwd, maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${r.status}: ${r.stderr.toString()}`);
  }
  return r.stdout;
}

/** The names `cpio -t` lists for `archive`, in order. */
export function cpioList(archive: Buffer): string[] {
  return run("cpio", ["-t", "--quiet"], { input: archive })
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "");
}

/** Timing a command in a fresh process: wall time, CPU time and peak RSS (GNU time). */
import { spawnSync } from "node:child_process";

/** One run of a command. */
export interface Measured {
  /** Wall time, seconds. */
  wall: number;
  /** User + system CPU time, seconds. */
  cpu: number;
  /** Peak resident set size, MiB. */
  rssMiB: number;
}

/** Runs `command args` under `/usr/bin/time`; throws with its stderr unless it exits 0. */
export function measure(command: string, args: string[], env?: NodeJS.ProcessEnv): Measured {
  return measureWithOutput(command, args, { env }).measured;
}

/** Like {@link measure}, in folder `cwd`, also returning the command's standard output. */
export function measureWithOutput(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): { measured: Measured; stdout: string } {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S %M", command, ...args], {
    encoding: "utf8",
    env: options.env ?? process.env,
    cwd: options.cwd,
    maxBuffer: 1 << 26,
  });
  const line = r.stderr
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("TIME "));
  if (r.status !== 0 || line === undefined) {
    throw new Error(`${command} ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  }
  const [wall, user, sys, rssKiB] = line.slice(5).split(" ").map(Number) as [
    number,
    number,
    number,
    number,
  ];
  return { measured: { wall, cpu: user + sys, rssMiB: rssKiB / 1024 }, stdout: r.stdout };
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The medians of several runs. */
export function medians(runs: Measured[]): Measured {
  return {
    wall: median(runs.map((r) => r.wall)),
    cpu: median(runs.map((r) => r.cpu)),
    rssMiB: median(runs.map((r) => r.rssMiB)),
  };
}

import { readdirSync, readFileSync } from "node:fs";

/** What identifies one process across time: its pid and when it started. */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat). */
  startTime: number;
}

/** The start time of `pid`, or undefined when no such process exists. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: split after its last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    if (state === "Z" || state === "X") return undefined;
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The command line of `pid`, or undefined. */
export function processCmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8")
      .split("\0")
      .filter((s) => s !== "");
  } catch {
    return undefined;
  }
}

/**
 * True when `id` still names the same running process whose command line
 * holds `marker`: a recycled pid has another start time or command line.
 */
export function isSameProcess(id: ProcessIdentity, marker: string): boolean {
  if (processStartTime(id.pid) !== id.startTime) return false;
  return (processCmdline(id.pid) ?? []).some((arg) => arg.includes(marker));
}

/**
 * Every running process whose command line holds `marker` (qemu's `-name`
 * of one VM): found through /proc, so even a qemu whose pidfile was never
 * written or was removed is found.
 */
export function processesWithMarker(marker: string): ProcessIdentity[] {
  const found: ProcessIdentity[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if (!(processCmdline(pid) ?? []).some((arg) => arg.includes(marker))) continue;
    const startTime = processStartTime(pid);
    if (startTime !== undefined) found.push({ pid, startTime });
  }
  return found;
}

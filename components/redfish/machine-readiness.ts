/**
 * When a machine booted through its BMC counts as ready: its power state
 * On and, where reachable from here, a TCP port or HTTP path on its
 * address, and a pattern in a console log this host can read (a serial
 * console captured to a file, as libvirt or a console server writes it).
 * Console text is matched only after the offset taken before the boot, so
 * a restart is not mistaken for ready by the previous boot's lines.
 */
import { open, stat } from "node:fs/promises";
import net from "node:net";

import { readinessProblems, tailLines } from "../qemu/readiness";

export interface MachineReadiness {
  /** Address (host name or IP) of the machine for `tcpPort` / `httpPath`. */
  host?: string;
  /** A TCP port on `host` that must accept a connection. */
  tcpPort?: number;
  /** An HTTP path that must answer 2xx on `host`:`tcpPort` (default 80). */
  httpPath?: string;
  /** A regular expression the console log must show (after the boot started). */
  consolePattern?: string;
  /** The console log file on this host for `consolePattern`. */
  consoleLog?: string;
  /** Give up after this many seconds. Default 600. */
  timeoutSeconds?: number;
}

/** Sentences naming `<field>.<setting>` for settings a wait would fail on. */
export function machineReadinessProblems(r: MachineReadiness, field: string): string[] {
  const problems = readinessProblems(r, field);
  if (r.consolePattern !== undefined && r.consoleLog === undefined) {
    problems.push(
      `${field}.consolePattern needs ${field}.consoleLog, the file this host reads the console from`,
    );
  }
  if ((r.tcpPort !== undefined || r.httpPath !== undefined) && (r.host ?? "") === "") {
    problems.push(
      `${field}.host is needed to check ${r.httpPath !== undefined ? "httpPath" : "tcpPort"}`,
    );
  }
  if (
    r.tcpPort !== undefined &&
    !(Number.isInteger(r.tcpPort) && r.tcpPort > 0 && r.tcpPort < 65536)
  ) {
    problems.push(`${field}.tcpPort must be a port number, got ${JSON.stringify(r.tcpPort)}`);
  }
  return problems;
}

/** The console log's size now: matching starts there. */
export async function consoleOffset(r: MachineReadiness): Promise<number> {
  if (r.consoleLog === undefined) return 0;
  return (await stat(r.consoleLog).catch(() => undefined))?.size ?? 0;
}

async function consoleSince(file: string, offset: number): Promise<string> {
  try {
    const fh = await open(file, "r");
    try {
      const { size } = await fh.stat();
      // A file shorter than the offset was started anew (e.g. truncated at power-on).
      const from = size < offset ? 0 : offset;
      const buf = Buffer.alloc(size - from);
      await fh.read(buf, 0, buf.length, from);
      return buf.toString("utf8");
    } finally {
      await fh.close();
    }
  } catch {
    return "";
  }
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, timeout: 3000 });
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.on("connect", () => done(true));
    sock.on("timeout", () => done(false));
    sock.on("error", () => done(false));
  });
}

async function httpOk(host: string, port: number, path: string): Promise<boolean> {
  try {
    const res = await fetch(
      `http://${host.includes(":") ? `[${host}]` : host}:${port}${path.startsWith("/") ? "" : "/"}${path}`,
      {
        signal: AbortSignal.timeout(3000),
      },
    );
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until every condition holds. Resolves undefined when ready, or
 * the reason it is not (powered off, timed out: naming what is missing).
 */
export async function waitMachineReady(
  r: MachineReadiness,
  offset: number,
  poweredOn: () => Promise<boolean>,
): Promise<string | undefined> {
  const timeoutSeconds = r.timeoutSeconds ?? 600;
  const deadline = Date.now() + timeoutSeconds * 1000;
  const pattern = r.consolePattern === undefined ? undefined : new RegExp(r.consolePattern, "m");
  const port = r.httpPath !== undefined ? (r.tcpPort ?? 80) : r.tcpPort;
  let consoleOk = pattern === undefined || r.consoleLog === undefined;
  let netOk = port === undefined || r.host === undefined;
  let polls = 0;
  while (Date.now() < deadline) {
    if (polls++ % 8 === 0 && !(await poweredOn())) return "powered off before it was ready";
    if (!consoleOk) consoleOk = pattern!.test(await consoleSince(r.consoleLog!, offset));
    if (!netOk) {
      netOk =
        r.httpPath === undefined
          ? await tcpOpen(r.host!, port!)
          : await httpOk(r.host!, port!, r.httpPath);
    }
    if (consoleOk && netOk) return undefined;
    await sleep(500);
  }
  const waiting = [
    consoleOk ? undefined : `console pattern /${r.consolePattern}/ in ${r.consoleLog}`,
    netOk
      ? undefined
      : r.httpPath === undefined
        ? `TCP ${r.host}:${port}`
        : `HTTP ${r.httpPath} on ${r.host}:${port}`,
  ].filter(Boolean);
  return `not ready after ${timeoutSeconds} s: still waiting for ${waiting.join(" and ")}`;
}

/** The console's last lines (for error messages), when there is a console log. */
export function machineConsoleTail(r: MachineReadiness, n = 15): Promise<string[]> {
  return r.consoleLog === undefined ? Promise.resolve([]) : tailLines(r.consoleLog, n);
}

import { open } from "node:fs/promises";
import net from "node:net";

/** How to tell that a booted VM is ready. */
export interface Readiness {
  /** A regular expression the serial console must show. */
  consolePattern?: string;
  /** A guest port (forwarded from 127.0.0.1) that must accept and keep a connection. */
  tcpPort?: number;
  /**
   * An HTTP path (e.g. `/`) that must answer a GET with a 2xx status, on
   * `tcpPort` (default 80) through its forward.
   */
  httpPath?: string;
  /** Give up after this many seconds. Default 120. */
  timeoutSeconds?: number;
}

/**
 * Settings a readiness wait would fail on, each a sentence naming
 * `<field>.<setting>`: a console pattern that is not a regular expression,
 * a timeout that is not a positive number of seconds. (Whether `tcpPort`
 * is forwarded depends on how the caller forwards ports; it checks that.)
 */
export function readinessProblems(r: Readiness, field: string): string[] {
  const problems: string[] = [];
  if (r.consolePattern !== undefined) {
    try {
      new RegExp(r.consolePattern);
    } catch (e) {
      problems.push(
        `${field}.consolePattern ${JSON.stringify(r.consolePattern)} is not a valid regular expression: ${(e as Error).message}`,
      );
    }
  }
  if (r.timeoutSeconds !== undefined && !(r.timeoutSeconds > 0)) {
    problems.push(
      `${field}.timeoutSeconds must be a positive number of seconds, got ${JSON.stringify(r.timeoutSeconds)}`,
    );
  }
  return problems;
}

/** The last `n` lines of a console log, for error messages. */
export async function tailLines(file: string, n = 20): Promise<string[]> {
  try {
    const fh = await open(file, "r");
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      return buf
        .toString("utf8")
        .replace(/\r/g, "")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .slice(-n);
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
}

async function consoleMatches(file: string, pattern: RegExp): Promise<boolean> {
  try {
    const fh = await open(file, "r");
    try {
      const text = (await fh.readFile()).toString("utf8");
      return pattern.test(text);
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

/**
 * With qemu user networking the host side of a forward always accepts;
 * the guest's answer shows only as the connection staying open (or data
 * arriving) instead of being closed at once.
 */
export function tcpAnswers(port: number, holdMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(ok);
    };
    sock.on("connect", () => setTimeout(() => done(true), holdMs));
    sock.on("data", () => done(true));
    sock.on("end", () => done(false));
    sock.on("close", () => done(false));
    sock.on("error", () => done(false));
  });
}

/** True when GET http://127.0.0.1:<port><path> answers with a 2xx status within `timeoutMs`. */
export async function httpAnswers(
  port: number,
  urlPath: string,
  timeoutMs = 3000,
): Promise<boolean> {
  try {
    const res = await fetch(
      `http://127.0.0.1:${port}${urlPath.startsWith("/") ? "" : "/"}${urlPath}`,
      {
        signal: AbortSignal.timeout(timeoutMs),
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
 * Waits until every readiness condition holds. Resolves with undefined on
 * success, or a reason when the VM died or time ran out.
 */
export async function waitUntilReady(
  readiness: Readiness,
  consoleLog: string,
  isAlive: () => boolean,
  forwardedPort?: (guestPort: number) => number | undefined,
): Promise<string | undefined> {
  const deadline = Date.now() + (readiness.timeoutSeconds ?? 120) * 1000;
  const pattern =
    readiness.consolePattern === undefined ? undefined : new RegExp(readiness.consolePattern, "m");
  let consoleOk = pattern === undefined;
  const guestPort =
    readiness.httpPath !== undefined ? (readiness.tcpPort ?? 80) : readiness.tcpPort;
  let tcpOk = guestPort === undefined;
  const hostPort = guestPort === undefined ? undefined : (forwardedPort?.(guestPort) ?? guestPort);
  const check = (port: number): Promise<boolean> =>
    readiness.httpPath === undefined ? tcpAnswers(port) : httpAnswers(port, readiness.httpPath);
  while (Date.now() < deadline) {
    if (!isAlive()) return "qemu exited before the VM was ready";
    if (!consoleOk && pattern !== undefined) consoleOk = await consoleMatches(consoleLog, pattern);
    if (!tcpOk && hostPort !== undefined) tcpOk = await check(hostPort);
    if (consoleOk && tcpOk) return undefined;
    await sleep(250);
  }
  const what =
    readiness.httpPath === undefined
      ? `guest port ${guestPort}`
      : `HTTP ${readiness.httpPath} on guest port ${guestPort}`;
  const waiting = [
    consoleOk ? undefined : `console pattern /${readiness.consolePattern}/`,
    tcpOk ? undefined : `${what} (host 127.0.0.1:${hostPort})`,
  ].filter(Boolean);
  return `not ready after ${readiness.timeoutSeconds ?? 120} s: still waiting for ${waiting.join(" and ")}`;
}

/**
 * Booting built artifacts under qemu for e2e tests: always TCG (KVM guests
 * hang on the test machines), the serial console captured through a pipe
 * into a string (and optionally a file), qemu killed on timeout and in
 * every `finally`. The qemu command line is the product's own
 * (`buildQemuArgs`), so the tests boot exactly what `run qemu` would.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";

import type { Arch } from "../../components/arch";
import { findOvmf } from "../../components/qemu/boot-media";
import { buildQemuArgs, type BootMedia, type PortForward } from "../../components/qemu/qemu-args";
import { QEMU_MACHINES } from "../../components/qemu/qemu-machines";
import { repoRoot } from "./paths";

const execFileAsync = promisify(execFile);

export interface BootOptions {
  kernel?: string;
  initrd?: string;
  /** The full kernel command line (the build's cmdline plus any test switches). */
  cmdline?: string;
  /** Boot this ISO or disk instead of kernel+initrd (EFI media get the architecture's firmware). */
  media?: BootMedia;
  /** The guest's architecture (qemu-machines.ts). Default amd64. */
  arch?: Arch;
  /** Guest memory in MiB. Default 1024. */
  memoryMiB?: number;
  /** Host loopback ports forwarded into the guest. */
  forwards?: PortForward[];
  /** Also write the console here when qemu is gone (for a look after a failure). */
  consoleFile?: string;
}

export interface QemuExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every qemu a test started and has not seen exit: killed if the test process exits first. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * A qemu guest booting in the background. Its console is `console`;
 * `waitFor` waits for console lines; `stop` kills it (idempotent). Always
 * `stop()` in a `finally`.
 */
export class BootedGuest {
  private text = "";
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();
  private exitInfo: QemuExit | undefined;
  /** Resolves when qemu has exited, by itself or killed. */
  readonly exited: Promise<QemuExit>;
  readonly startedAt = Date.now();

  constructor(options: BootOptions) {
    const media: BootMedia = options.media ?? {
      kind: "kernel+initrd",
      kernel: options.kernel ?? "",
      initrd: options.initrd ?? "",
      cmdline: options.cmdline ?? "",
    };
    const uefi = media.kind !== "kernel+initrd" && media.uefi === true;
    const args = buildQemuArgs({
      media,
      arch: options.arch,
      accel: "tcg",
      memoryMiB: options.memoryMiB ?? 1024,
      console: { kind: "stdio" },
      forwards: options.forwards,
      ovmfCode: uefi ? findOvmf(options.arch) : undefined,
    });
    this.child = spawn(QEMU_MACHINES[options.arch ?? "amd64"].binary, args, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(this.child);
    const append = (d: Buffer): void => {
      this.text += d.toString("utf8");
      for (const l of this.listeners) l();
    };
    this.child.stdout?.on("data", append);
    this.child.stderr?.on("data", append);
    this.exited = new Promise((resolve) => {
      const done = (info: QemuExit): void => {
        if (this.exitInfo) return;
        this.exitInfo = info;
        running.delete(this.child);
        if (options.consoleFile) writeFileSync(options.consoleFile, this.text);
        for (const l of this.listeners) l();
        resolve(info);
      };
      this.child.on("error", (e) => {
        this.text += `\n[qemu could not start: ${e.message}]\n`;
        done({ code: null, signal: null });
      });
      this.child.on("close", (code, signal) => done({ code, signal }));
    });
  }

  /** The console so far (serial output and qemu's own messages), CR removed. */
  get console(): string {
    return this.text.replace(/\r/g, "");
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined;
  }

  get elapsedSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /**
   * Resolves once every pattern matched some console line; rejects when
   * qemu exits first or after `timeoutMs`, naming what is still missing.
   */
  waitFor(patterns: readonly (string | RegExp)[], timeoutMs: number): Promise<void> {
    const res = patterns.map((p) => (typeof p === "string" ? new RegExp(p) : p));
    const missing = (): RegExp[] => {
      const lines = this.console.split("\n");
      return res.filter((re) => !lines.some((line) => re.test(line)));
    };
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const left = missing();
        if (left.length === 0) finish();
        else if (this.exitInfo)
          finish(
            new Error(
              `qemu exited (${describeExit(this.exitInfo)}) before ${left.join(", ")} appeared`,
            ),
          );
      };
      const finish = (error?: Error): void => {
        this.listeners.delete(check);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `after ${timeoutMs / 1000} s still no console line matching ${missing().join(", ")}`,
            ),
          ),
        timeoutMs,
      );
      this.listeners.add(check);
      check();
    });
  }

  /** Waits for qemu to exit by itself; kills it after `timeoutMs` (then `timedOut` is true). */
  async waitForExit(timeoutMs: number): Promise<QemuExit & { timedOut: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">(
      (resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)),
    );
    try {
      const first = await Promise.race([this.exited, timeout]);
      if (first !== "timeout") return { ...first, timedOut: false };
      return { ...(await this.stop()), timedOut: true };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills qemu (SIGKILL: the guest's state does not matter) and waits until it is gone. */
  async stop(): Promise<QemuExit> {
    if (!this.exitInfo) this.child.kill("SIGKILL");
    return this.exited;
  }
}

/** Starts qemu; the caller must `stop()` it in a `finally`. */
export function startGuest(options: BootOptions): BootedGuest {
  return new BootedGuest(options);
}

export interface BootResult extends QemuExit {
  console: string;
  timedOut: boolean;
  seconds: number;
}

/** Boots, waits for the guest to power off (or `timeoutMs`), returns the console. qemu never outlives it. */
export async function bootUntilExit(options: BootOptions, timeoutMs: number): Promise<BootResult> {
  const guest = startGuest(options);
  try {
    const exit = await guest.waitForExit(timeoutMs);
    return { ...exit, console: guest.console, seconds: guest.elapsedSeconds };
  } finally {
    await guest.stop();
  }
}

export function describeExit(e: QemuExit): string {
  return e.signal ? `signal ${e.signal}` : `exit code ${e.code}`;
}

/** A TCP port on 127.0.0.1 nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/** GET `url`, retrying connection failures (slirp accepts before the guest answers) until `timeoutMs`. */
export async function httpGetWithRetry(
  url: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, {
        signal: AbortSignal.timeout(Math.max(1000, Math.min(10_000, deadline - Date.now()))),
      });
      return { status: res.status, body: await res.text() };
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(
    `GET ${url} failed for ${timeoutMs / 1000} s: ${(last as Error | undefined)?.message ?? "timeout"}`,
  );
}

/**
 * Pids of live qemu processes whose command line mentions `needle` (a
 * test's temporary folder): for qemu started by the CLI, which a test can
 * only reach through its arguments.
 */
export function qemuPidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (cmd.startsWith("qemu-system") && cmd.includes(needle) && state !== "Z")
        pids.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

/** SIGKILLs the qemu processes `qemuPidsMentioning(needle)` finds; returns how many. */
export function killQemuMentioning(needle: string): number {
  const pids = qemuPidsMentioning(needle);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  return pids.length;
}

/** Builds (or confirms, ~0.5 s warm) the local `linuxkit-test/*:test` images the fixtures use. */
export async function ensureTestImages(): Promise<void> {
  await execFileAsync(path.join(repoRoot, "scripts", "build-test-images.sh"), [], {
    cwd: repoRoot,
    maxBuffer: 16 << 20,
  });
}

/** The last `n` lines of a console, for assertion messages. */
export function tail(text: string, n = 60): string {
  return text.replace(/\r/g, "").split("\n").slice(-n).join("\n");
}

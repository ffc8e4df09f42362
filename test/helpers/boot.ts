/**
 * Booting built artifacts' kernel and initrd under qemu for e2e tests, with
 * the product's own qemu command line (`buildQemuArgs`, TCG, console on
 * stdio), so the tests boot exactly what `run qemu` would; started, watched
 * and stopped by the one launcher, `qemu-launch.ts`. Also the tests' other
 * boot-time helpers: free ports, HTTP with retries, qemu started by the CLI.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";

import type { Arch } from "../../components/arch";
import { findOvmf } from "../../components/qemu/boot-media";
import { buildQemuArgs, type BootMedia, type PortForward } from "../../components/qemu/qemu-args";
import { QEMU_MACHINES } from "../../components/qemu/qemu-machines";
import { repoRoot } from "./paths";
import {
  launchQemu,
  runQemuUntilExit,
  type QemuGuest,
  type QemuLaunchOptions,
  type QemuRunResult,
} from "./qemu-launch";

export { describeExit, type QemuExit } from "./qemu-launch";

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

/** A guest booting in the background; always `stop()` it in a `finally`. */
export type BootedGuest = QemuGuest;

export type BootResult = QemuRunResult;

/**
 * The launch of a boot: the product's qemu arguments for the guest's
 * architecture with TCG and a stdio console; EFI media get that
 * architecture's firmware (OVMF, AAVMF).
 */
function launchOptions(options: BootOptions): QemuLaunchOptions {
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
  return {
    args,
    binary: QEMU_MACHINES[options.arch ?? "amd64"].binary,
    consoleFile: options.consoleFile,
    // firmware and GRUB draw with escape sequences, not always in UTF-8
    ...(uefi ? { encoding: "latin1" as const, stripAnsi: true } : {}),
  };
}

/** Starts qemu; the caller must `stop()` it in a `finally`. */
export function startGuest(options: BootOptions): BootedGuest {
  return launchQemu(launchOptions(options));
}

/** Boots, waits for the guest to power off (or `timeoutMs`), returns the console. qemu never outlives it. */
export function bootUntilExit(options: BootOptions, timeoutMs: number): Promise<BootResult> {
  return runQemuUntilExit(launchOptions(options), timeoutMs);
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
 * Whether a qemu command line (NUL-separated) names `needle`, itself or in
 * the `-readconfig` file it reads: the product passes kernel, initrd and
 * command line that way (so a secret command line is not in `ps`).
 */
function mentions(cmd: string, needle: string): boolean {
  if (cmd.includes(needle)) return true;
  const args = cmd.split("\0");
  const at = args.indexOf("-readconfig");
  const file = at >= 0 ? args[at + 1] : undefined;
  if (file === undefined) return false;
  try {
    return readFileSync(file, "utf8").includes(needle);
  } catch {
    return false;
  }
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
      if (cmd.startsWith("qemu-system") && mentions(cmd, needle) && state !== "Z")
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

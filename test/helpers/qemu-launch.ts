/**
 * The one way boot tests start qemu: always TCG (KVM guests hang on the
 * test machines; the launcher refuses a command line that does not ask
 * for TCG), the serial console (qemu's stdio) and qemu's own messages
 * captured into `console`, console patterns awaited with a deadline, and
 * qemu killed in every `finally` and when the test process exits. Callers
 * build the arguments (the product's `buildQemuArgs`, a disk or a network
 * boot); nothing else here knows what is being booted.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";

export interface QemuLaunchOptions {
  /** qemu-system-x86_64's arguments; they must select TCG (`-accel tcg` or `accel=tcg`). */
  args: readonly string[];
  /** How console bytes become text: firmware output is not always UTF-8. Default "utf8". */
  encoding?: "utf8" | "latin1";
  /** Drop ANSI escape sequences (firmware and GRUB draw menus with them). Default false. */
  stripAnsi?: boolean;
  /** Also write the console here once qemu is gone (for a look after a failure). */
  consoleFile?: string;
}

export interface QemuExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** ANSI escape sequences. */
const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, "g");

/** Every qemu started here and not yet seen exit: killed if the test process exits first. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** True when the arguments select TCG acceleration. */
export function selectsTcg(args: readonly string[]): boolean {
  return args.some(
    (a, i) =>
      (args[i - 1] === "-accel" && a.split(",")[0] === "tcg") ||
      (args[i - 1] === "-machine" && a.split(",").includes("accel=tcg")),
  );
}

/**
 * A qemu running in the background. `console` is what it printed so far;
 * `waitFor` awaits console lines; `stop` kills it (idempotent). Start it
 * with {@link withQemu} or {@link runQemuUntilExit}, or `stop()` it in a
 * `finally` yourself.
 */
export class QemuGuest {
  private text = "";
  private readonly child: ChildProcess;
  private readonly listeners = new Set<() => void>();
  private exitInfo: QemuExit | undefined;
  /** Resolves when qemu has exited, by itself or killed. */
  readonly exited: Promise<QemuExit>;
  readonly startedAt = Date.now();

  constructor(private readonly options: QemuLaunchOptions) {
    if (!selectsTcg(options.args))
      throw new Error(
        `boot tests run qemu with TCG: add "-accel tcg" to ${JSON.stringify(options.args.join(" "))}`,
      );
    this.child = spawn("qemu-system-x86_64", [...options.args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(this.child);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      const decoder = new StringDecoder(options.encoding ?? "utf8");
      stream?.on("data", (d: Buffer) => this.append(decoder.write(d)));
      stream?.on("end", () => this.append(decoder.end()));
    }
    this.exited = new Promise((resolve) => {
      const done = (info: QemuExit): void => {
        if (this.exitInfo) return;
        this.exitInfo = info;
        running.delete(this.child);
        if (options.consoleFile) writeFileSync(options.consoleFile, this.console);
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

  private append(text: string): void {
    if (text === "") return;
    this.text += text;
    for (const l of this.listeners) l();
  }

  /** The console so far (serial output and qemu's own messages), CR removed. */
  get console(): string {
    const text = this.text.replace(/\r/g, "");
    return this.options.stripAnsi ? text.replace(ANSI_ESCAPE, "") : text;
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

/** Starts qemu; the caller must `stop()` it in a `finally` (or use {@link withQemu}). */
export function launchQemu(options: QemuLaunchOptions): QemuGuest {
  return new QemuGuest(options);
}

/** Starts qemu, runs `use` with it, and stops qemu however `use` ends. */
export async function withQemu<T>(
  options: QemuLaunchOptions,
  use: (guest: QemuGuest) => Promise<T>,
): Promise<T> {
  const guest = launchQemu(options);
  try {
    return await use(guest);
  } finally {
    await guest.stop();
  }
}

export interface QemuRunResult extends QemuExit {
  console: string;
  timedOut: boolean;
  seconds: number;
}

/** Runs qemu until the guest powers off (or `timeoutMs`, then it is killed); returns the console. */
export function runQemuUntilExit(
  options: QemuLaunchOptions,
  timeoutMs: number,
): Promise<QemuRunResult> {
  return withQemu(options, async (guest) => {
    const exit = await guest.waitForExit(timeoutMs);
    return { ...exit, console: guest.console, seconds: guest.elapsedSeconds };
  });
}

export function describeExit(e: QemuExit): string {
  return e.signal ? `signal ${e.signal}` : `exit code ${e.code}`;
}

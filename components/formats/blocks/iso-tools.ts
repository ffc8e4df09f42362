/**
 * Running the Debian tools the ISO, FAT and GRUB writers use (xorriso,
 * mtools, grub-mkimage) as subprocesses, with a clean, fixed environment
 * so their output never depends on the host's clock, locale or mtools
 * configuration.
 */
import { execFile } from "node:child_process";
import { LinuxKitError } from "../../errors/errors";

/**
 * The time every generated file system is stamped with:
 * 1980-01-01T00:00:00Z, the earliest date FAT can store, as seconds since
 * the Unix epoch. ISO 9660 and FAT images written with it are identical
 * whenever their contents are.
 */
export const FIXED_EPOCH = 315532800;

/** Options for {@link runTool}. */
export interface RunToolOptions {
  /** Extra environment variables (on top of the fixed base environment). */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  signal?: AbortSignal;
  /** What the command was for, for error messages (e.g. "making the EFI boot image"). */
  purpose?: string;
}

/** What a command printed. */
export interface ToolOutput {
  stdout: string;
  stderr: string;
}

/**
 * The base environment for tools: PATH kept, locale and timezone fixed,
 * SOURCE_DATE_EPOCH set to {@link FIXED_EPOCH} (mtools, xorriso and GRUB
 * honour it), and mtools' drive checks off so it accepts any image file.
 */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    LC_ALL: "C",
    TZ: "UTC",
    SOURCE_DATE_EPOCH: String(FIXED_EPOCH),
    MTOOLS_SKIP_CHECK: "1",
    MTOOLS_NO_VFAT: "0",
    // mtools reads ~/.mtoolsrc; a private HOME keeps a user's drive letters out.
    HOME: "/nonexistent",
    ...extra,
  };
}

/**
 * Runs `command args...` and returns its output. A non-zero exit becomes a
 * BUILD error quoting the command and the end of its stderr; an abort
 * kills the command and rejects with the abort reason.
 */
export function runTool(
  command: string,
  args: readonly string[],
  opts: RunToolOptions = {},
): Promise<ToolOutput> {
  opts.signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        env: toolEnv(opts.env),
        cwd: opts.cwd,
        signal: opts.signal,
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (err, stdout, stderr) => {
        if (err === null) {
          resolve({ stdout, stderr });
          return;
        }
        if (opts.signal?.aborted) {
          reject(opts.signal.reason);
          return;
        }
        const detail = (stderr || stdout).trim().split("\n").slice(-8).join("\n");
        const shown = [command, ...args].map(quoteArg).join(" ");
        reject(
          new LinuxKitError(
            "BUILD",
            `${opts.purpose ? `${opts.purpose}: ` : ""}\`${shown}\` failed (${describeExit(err)})${
              detail ? `:\n${detail}` : ""
            }`,
            {
              hint: "check the tool's message above; the scratch directory may be out of space",
              cause: err,
            },
          ),
        );
      },
    );
  });
}

function describeExit(err: Error & { code?: unknown; signal?: unknown }): string {
  if (typeof err.code === "number") return `exit status ${err.code}`;
  if (typeof err.signal === "string") return `killed by ${err.signal}`;
  return err.message;
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

import { spawn } from "node:child_process";
import path from "node:path";

import { repoRoot } from "./paths";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the pulumi-linuxkit command line as a user would, in a child process. */
export function runCli(
  args: string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    killAfterMs?: number;
    killSignal?: NodeJS.Signals;
    killWhen?: (stdout: string) => boolean;
    /** Checked every 20 ms: the process is killed once it returns true (files it makes, say). */
    killWhenSeen?: () => boolean;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, "bin", "pulumi-linuxkit.js"), ...args],
      {
        cwd: options.cwd ?? repoRoot,
        env: { ...process.env, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    let killed = false;
    const kill = (): void => {
      if (!killed) {
        killed = true;
        child.kill(options.killSignal ?? "SIGINT");
      }
    };
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (options.killWhen?.(stdout)) kill();
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer =
      options.killAfterMs === undefined ? undefined : setTimeout(kill, options.killAfterMs);
    const { killWhenSeen } = options;
    const poll =
      killWhenSeen === undefined
        ? undefined
        : setInterval(() => {
            if (killWhenSeen()) kill();
          }, 20);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

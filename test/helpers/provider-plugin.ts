/**
 * What the provider plugin's integration tests share: the plugin tarball
 * built once (`scripts/build-plugin.mjs`) and installed into a scratch
 * PULUMI_HOME the way a user installs it, the Python venv made by
 * scripts/install-python-sdk.sh, and stacks of YAML/Python/TypeScript
 * program folders on a local file backend.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";

import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";

import { repoRoot } from "./paths";
import { pulumiBinDir, pulumiCommand, pulumiEnv } from "./pulumi-env";

export const pluginVersion: string = (
  JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }
).version;

let tarball: string | undefined;

/** Builds the plugin tarball (once per test process); its path. */
export function pluginTarball(): string {
  if (tarball === undefined) {
    const out = execFileSync(
      process.execPath,
      [path.join(repoRoot, "scripts", "build-plugin.mjs")],
      {
        encoding: "utf8",
      },
    );
    tarball = out.trim().split("\n").pop() ?? "";
    if (!existsSync(tarball)) throw new Error(`build-plugin.mjs printed ${out}`);
  }
  return tarball;
}

/** The venv of scripts/install-python-sdk.sh (run by setup.sh). */
export function pythonVenv(): string {
  return execFileSync("bash", [path.join(repoRoot, "scripts", "install-python-sdk.sh")], {
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop() as string;
}

/** Environment of a stack whose programs use the plugin installed in `pulumiHome`. */
export function pluginEnv(stateDir: string, pulumiHome: string): Record<string, string> {
  const env = pulumiEnv(stateDir);
  delete (env as Record<string, string | undefined>).NODE_PATH;
  return {
    ...env,
    PULUMI_HOME: pulumiHome,
    // The legacy Python host runs `python3` from PATH: the venv's.
    PATH: `${path.join(pythonVenv(), "bin")}:${pulumiBinDir()}:${process.env.PATH ?? ""}`,
    PYTHONPATH: path.join(repoRoot, "sdk", "python"),
  };
}

/** Installs the plugin tarball into `pulumiHome` as a user would. */
export async function installPlugin(pulumiHome: string): Promise<void> {
  await mkdir(pulumiHome, { recursive: true });
  execFileSync(
    path.join(pulumiBinDir(), "pulumi"),
    ["plugin", "install", "resource", "linuxkit", pluginVersion, "--file", pluginTarball()],
    {
      env: { ...process.env, PULUMI_HOME: pulumiHome, PULUMI_SKIP_UPDATE_CHECK: "true" },
      stdio: "pipe",
    },
  );
}

/** A stack of the program folder `workDir`. */
export async function pluginStack(
  workDir: string,
  stackName: string,
  stateDir: string,
  pulumiHome: string,
): Promise<Stack> {
  await mkdir(stateDir, { recursive: true });
  return LocalWorkspace.createOrSelectStack(
    { stackName, workDir },
    {
      envVars: pluginEnv(stateDir, pulumiHome),
      pulumiHome,
      pulumiCommand: await pulumiCommand(),
    },
  );
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** The body of GET http://127.0.0.1:<port>/. */
export async function httpGet(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
  return res.text();
}

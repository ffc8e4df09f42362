import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";

import { repoRoot } from "./paths";

/** Where scripts/install-pulumi.sh put the CLI (its bin folder). */
export function pulumiBinDir(): string {
  const recorded = path.join(repoRoot, ".pulumi-bin-path");
  if (existsSync(recorded)) return readFileSync(recorded, "utf8").trim();
  return path.join(os.homedir(), ".pulumi", "bin");
}

/**
 * A folder holding one symlink, `pulumi-linuxkit` → this checkout, for
 * NODE_PATH: the dynamic providers load their implementation by package
 * name, as they do in a user's program where the package is installed.
 */
export function packageLinkDir(): string {
  const key = createHash("sha256").update(repoRoot).digest("hex").slice(0, 12);
  const dir = path.join(os.tmpdir(), `pulumi-linuxkit-node-path-${key}`);
  const link = path.join(dir, "pulumi-linuxkit");
  mkdirSync(dir, { recursive: true });
  if (!existsSync(link)) {
    try {
      symlinkSync(repoRoot, link);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  return dir;
}

/** Environment for a hermetic stack: local file backend, no account, TCG guests. */
export function pulumiEnv(stateDir: string): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: "integration-test",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DIY_BACKEND_NO_LOCKING: "false",
    LINUXKIT_QEMU_ACCEL: "tcg",
    PATH: `${pulumiBinDir()}:${process.env.PATH ?? ""}`,
    // Inline programs run from a temporary folder: let the dynamic provider find
    // @pulumi/pulumi, and `pulumi-linuxkit/providers` (this checkout) by name.
    NODE_PATH: [packageLinkDir(), path.join(repoRoot, "node_modules")].join(path.delimiter),
  };
}

/** The Pulumi CLI built or installed by scripts/install-pulumi.sh. */
export async function pulumiCommand(): Promise<PulumiCommand> {
  return PulumiCommand.get({ root: path.dirname(pulumiBinDir()) });
}

/** A stack of a program folder (e.g. examples/qemu-local) on a local file backend. */
export async function folderStack(
  workDir: string,
  stackName: string,
  stateDir: string,
): Promise<Stack> {
  await mkdir(stateDir, { recursive: true });
  const env = pulumiEnv(stateDir);
  return LocalWorkspace.createOrSelectStack(
    { stackName, workDir },
    { envVars: env, pulumiCommand: await pulumiCommand() },
  );
}

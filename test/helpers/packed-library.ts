/**
 * This checkout as a user gets it: `npm pack`, then `npm install` of the
 * tarball into a project folder of their own. Shared by the integration
 * tests and the Pulumi benchmark.
 */
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { repoRoot } from "./paths";

/** The version of `pkg` installed in this repository's node_modules. */
export async function repoVersion(pkg: string): Promise<string> {
  const file = path.join(repoRoot, "node_modules", ...pkg.split("/"), "package.json");
  return (JSON.parse(await readFile(file, "utf8")) as { version: string }).version;
}

/** `npm pack` of this checkout (its dist/ must be built) into `dest`; the tarball's path. */
export function packLibrary(dest: string): string {
  const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", dest], {
    cwd: repoRoot,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop()!;
  return path.join(dest, name);
}

/** `npm install` of `packages` (tarballs, `name@version`) into the project at `dir`, quietly. */
export function npmInstall(dir: string, packages: string[]): void {
  execFileSync(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...packages],
    { cwd: dir, stdio: "pipe" },
  );
}

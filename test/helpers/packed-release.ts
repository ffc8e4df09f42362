/**
 * A past release of this library as a user installed it: the commit's tree
 * (`git archive`), its library compiled with this checkout's TypeScript,
 * then `npm pack`. Only `components/` is compiled (the published package
 * holds `bin/` and `dist/components/`, nothing else), so tests and benches
 * of that day, which may no longer compile against today's dev
 * dependencies, do not matter.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";

import { repoRoot } from "./paths";

/**
 * 0.1.0 as released: the last commit of the round that shipped it (stop
 * 14 landed on it), before the provider plugin, the house restructure, the
 * registry source, arm64 and Redfish. package.json said 0.1.0 from the
 * first commit on and was never bumped, so the version alone names no
 * commit; this one is the released API the upgrade must keep working.
 */
export const RELEASE_0_1_0 = "311adc3775316de3fbd932e1d3849b05ecdc69fb";

/** `npm pack` of the library at `commit` into `dest`; the tarball's path. */
export async function packRelease(commit: string, dest: string): Promise<string> {
  const tree = await mkdtemp(path.join(dest, `release-${commit.slice(0, 7)}-`));
  const archive = execFileSync("git", ["archive", "--format=tar", commit], {
    cwd: repoRoot,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync("tar", ["-x", "-C", tree], { input: archive });
  // Compiled with this checkout's compiler and type packages.
  await symlink(path.join(repoRoot, "node_modules"), path.join(tree, "node_modules"), "dir");
  await writeFile(
    path.join(tree, "tsconfig.release.json"),
    JSON.stringify({ extends: "./tsconfig.json", include: ["components/**/*.ts"] }),
  );
  execFileSync(
    process.execPath,
    [
      path.join(repoRoot, "node_modules", "typescript", "bin", "tsc"),
      "-p",
      "tsconfig.release.json",
    ],
    { cwd: tree, stdio: "pipe" },
  );
  await rm(path.join(tree, "node_modules"));
  const out = path.join(dest, "packed");
  await mkdir(out, { recursive: true });
  const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", out], {
    cwd: tree,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop()!;
  await rm(tree, { recursive: true, force: true });
  return path.join(out, name);
}

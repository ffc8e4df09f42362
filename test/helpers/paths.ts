import { existsSync } from "node:fs";
import path from "node:path";

/** The repository root: the nearest folder above this file holding package.json. */
export const repoRoot: string = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
})();

/** A path under test/fixtures in the source tree (fixtures are not compiled). */
export function fixture(...parts: string[]): string {
  return path.join(repoRoot, "test", "fixtures", ...parts);
}

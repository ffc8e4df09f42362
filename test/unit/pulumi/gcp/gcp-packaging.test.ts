/**
 * `@pulumi/gcp` is an optional peer dependency behind the
 * `pulumi-linuxkit/gcp` export: the package's main entry (and the
 * dynamic providers' entry) must never load it, so a program that only
 * builds images and boots them under qemu needs neither @pulumi/gcp nor
 * the GCP plugin. Checked on the compiled package, in fresh processes.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

import { repoRoot } from "../../../helpers/paths";

/** The modules a fresh node process has loaded after running `code` in the repo root. */
function modulesLoadedBy(code: string): string[] {
  const script = `${code}; process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  const out = execFileSync(process.execPath, ["-e", script], { cwd: repoRoot, encoding: "utf8" });
  return JSON.parse(out) as string[];
}

const isGcp = (m: string): boolean => m.includes(`${path.sep}@pulumi${path.sep}gcp${path.sep}`);

describe("packaging of the GCP part", () => {
  it("the main entry and every dynamic provider load no @pulumi/gcp module", () => {
    for (const code of [
      'require("pulumi-linuxkit")',
      'const p = require("pulumi-linuxkit/providers"); p.loadProvider("image"); p.loadProvider("qemuVm")',
    ]) {
      const loaded = modulesLoadedBy(code);
      assert.ok(
        loaded.some((m) => m.endsWith(path.join("dist", "components", "index.js"))) ||
          loaded.some((m) => m.endsWith("image-provider.js")),
        `${code}: loaded the package`,
      );
      assert.deepEqual(loaded.filter(isGcp), [], `${code}: loads no @pulumi/gcp module`);
    }
  });

  it("pulumi-linuxkit/gcp loads @pulumi/gcp and exports the components", () => {
    assert.ok(modulesLoadedBy('require("pulumi-linuxkit/gcp")').some(isGcp));
    const script = `const g = require("pulumi-linuxkit/gcp"); process.stdout.write(Object.keys(g).sort().join(","));`;
    const names = execFileSync(process.execPath, ["-e", script], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    for (const n of ["GcpImage", "GcpMachine", "GcpFleet", "checkRollout"])
      assert.ok(names.split(",").includes(n), `exports ${n}`);
  });

  it("package.json: @pulumi/gcp is an optional peer (and a devDependency), never a dependency", () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      exports: Record<string, unknown>;
    };
    assert.equal(pkg.dependencies["@pulumi/gcp"], undefined);
    assert.ok(pkg.peerDependencies["@pulumi/gcp"]);
    assert.equal(pkg.peerDependenciesMeta["@pulumi/gcp"]?.optional, true);
    assert.ok(pkg.devDependencies["@pulumi/gcp"]);
    assert.deepEqual(pkg.exports["./gcp"], {
      types: "./dist/components/pulumi/gcp/index.d.ts",
      default: "./dist/components/pulumi/gcp/index.js",
    });
  });
});

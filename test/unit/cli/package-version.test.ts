/**
 * `pulumi-linuxkit version` finds the package's own package.json by walking
 * up from the compiled file, whatever the folder depth (dist/ here).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

import { packageVersion } from "../../../components/cli/main";
import { repoRoot } from "../../helpers/paths";

describe("packageVersion", () => {
  it("is the version in the repository's package.json", () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      version: string;
    };
    assert.match(pkg.version, /^\d+\.\d+\.\d+/);
    assert.equal(packageVersion(), pkg.version);
  });
});

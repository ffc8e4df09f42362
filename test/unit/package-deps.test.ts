/**
 * One copy of the Pulumi SDK in a user's project (issue 19, finding 13):
 * `@pulumi/pulumi` is a range that accepts the user's newer 3.x, as
 * Pulumi's own packages declare it, so npm dedupes it instead of nesting a
 * second copy (two SDK copies register resources with two runtimes).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

import { repoRoot } from "../helpers/paths";

describe("package.json", () => {
  it("@pulumi/pulumi is a caret range on 3.x, not an exact pin", () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    assert.match(pkg.dependencies["@pulumi/pulumi"] ?? "", /^\^3\.\d+\.\d+$/);
  });
});

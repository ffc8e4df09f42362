/** The test harness finds skipped tests in node's TAP output, so CI can refuse them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { skippedTests } from "../../run-tests";

describe("skippedTests", () => {
  it("lists every skipped test with its reason, nested or not, and nothing else", () => {
    const tap = [
      "TAP version 13",
      "# Subtest: formats",
      "    ok 1 - writes a GPT",
      "    ok 2 - cross-checks with sgdisk # SKIP needs sgdisk (apt-get install gdisk)",
      "    not ok 3 - boots under OVMF",
      "ok 4 - config.json under a real runc # SKIP",
      "ok 5 - a test whose name says \\# SKIP is not skipped",
      "# skipped 2",
    ].join("\n");
    assert.deepEqual(skippedTests(tap), [
      "cross-checks with sgdisk: needs sgdisk (apt-get install gdisk)",
      "config.json under a real runc: no reason given",
    ]);
  });
});

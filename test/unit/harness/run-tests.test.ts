/**
 * The test harness finds skipped tests in node's TAP output, so CI can
 * refuse them, and runs the unit tier's files in parallel but every other
 * tier's one at a time, after the unit tier.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { batches, skippedTests } from "../../run-tests";

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

describe("batches", () => {
  it("runs the unit tier alone with its concurrency, then every other tier one file at a time", () => {
    const files = new Map([
      ["unit", ["u1", "u2"]],
      ["images", ["i1"]],
      ["e2e", ["e1", "e2"]],
    ]);
    assert.deepEqual(batches(files, 2), [
      { files: ["u1", "u2"], concurrency: 2 },
      { files: ["i1", "e1", "e2"], concurrency: 1 },
    ]);
  });

  it("leaves out an empty batch", () => {
    assert.deepEqual(batches(new Map([["e2e", ["e1"]]]), 2), [{ files: ["e1"], concurrency: 1 }]);
    assert.deepEqual(batches(new Map([["unit", ["u1"]]]), 3), [{ files: ["u1"], concurrency: 3 }]);
  });
});

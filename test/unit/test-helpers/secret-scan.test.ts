/**
 * The shared secret scan: a secret anywhere is found with its source and
 * line, shown masked; the Pulumi Node.js SDK's debug trace of
 * RegisterResource answers is the one line excused, and only that line.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import {
  describeFindings,
  findSecret,
  findSecretInFiles,
  isSdkDebugTrace,
} from "../../helpers/secret-scan";

const SECRET = "s3cr3t-value";
const TRACE = `{"severity":"debug","message":"RegisterResource RPC finished: resource:x[t]; err: null, resp: ${SECRET}"}`;

describe("secret scan", () => {
  it("finds the secret on any line, with source and line, masked", () => {
    const found = findSecret(`clean\nthe token is ${SECRET}!\nclean`, SECRET, "engine output");
    assert.deepEqual(found, [
      { source: "engine output", line: 2, excerpt: "the token is [SECRET]!" },
    ]);
    assert.ok(!describeFindings(found).includes(SECRET));
  });

  it("excuses the SDK's RegisterResource debug trace, and nothing else", () => {
    assert.equal(isSdkDebugTrace(TRACE), true);
    assert.deepEqual(findSecret(TRACE, SECRET, "x"), []);
    // The same message at another severity, or another debug message, is a leak.
    const info = TRACE.replace('"debug"', '"info"');
    const other = `{"severity":"debug","message":"Invoke RPC finished: ${SECRET}"}`;
    assert.equal(findSecret(`${TRACE}\n${info}\n${other}`, SECRET, "x").length, 2);
  });

  it("searches files below a folder, binary ones too", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lk-secret-scan-"));
    try {
      await writeFile(path.join(dir, "clean.txt"), "nothing here\n");
      await writeFile(
        path.join(dir, "blob.bin"),
        Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(SECRET)]),
      );
      const found = await findSecretInFiles(dir, SECRET);
      assert.deepEqual(
        found.map((f) => path.basename(f.source)),
        ["blob.bin"],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses an empty secret (it would match everything)", () => {
    assert.throws(() => findSecret("x", "", "x"), /empty secret/);
  });
});

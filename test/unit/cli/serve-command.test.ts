import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import { parsePort } from "../../../components/cli/serve-command";
import { LinuxKitError } from "../../../components/errors/errors";
import { runCli } from "../../helpers/cli";
import { repoRoot } from "../../helpers/paths";

describe("parsePort", () => {
  it("reads N, :N and ADDR:N as linuxkit serve's --port does", () => {
    assert.deepEqual(parsePort("8080"), { port: 8080 });
    assert.deepEqual(parsePort(":8080"), { port: 8080 });
    assert.deepEqual(parsePort("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
    assert.deepEqual(parsePort("[::1]:9000"), { host: "::1", port: 9000 });
  });
  it("refuses anything else", () => {
    for (const bad of ["", "http", "70000", "1.2.3.4:", "-1"]) {
      assert.throws(() => parsePort(bad), LinuxKitError, bad);
    }
  });
});

describe("pulumi-linuxkit serve", () => {
  it("serves a folder until Ctrl-C, then exits 0", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lk-serve-cli-"));
    await writeFile(path.join(dir, "web-equinixmetal.ipxe"), "#!ipxe\nboot");
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, "bin", "pulumi-linuxkit.js"), "serve", dir, "--port", "127.0.0.1:0"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let stdout = "";
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          stdout += d.toString();
          const m = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
          if (m) resolve(m[1]!);
        });
        child.on("close", () => reject(new Error(`exited early: ${stdout}${stderr}`)));
      });
      assert.equal(await (await fetch(`${url}/web-equinixmetal.ipxe`)).text(), "#!ipxe\nboot");
      const code = await new Promise<number | null>((resolve) => {
        child.on("close", (c) => resolve(c));
        child.kill("SIGINT");
      });
      assert.equal(code, 0);
      assert.match(stderr, /GET \/web-equinixmetal.ipxe 200/);
    } finally {
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a missing folder is a usage error with a hint", async () => {
    const r = await runCli(["serve", "/nonexistent/lk-serve", "--port", "0"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot serve \/nonexistent\/lk-serve/);
    assert.match(r.stderr, /hint: the folder does not exist/);
  });
});

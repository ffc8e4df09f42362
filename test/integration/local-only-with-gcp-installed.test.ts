/**
 * Packaging under the real Pulumi CLI: a program that only builds a
 * LinuxKit image, in a folder whose node_modules holds @pulumi/gcp (this
 * repo's node_modules: @pulumi/gcp is a devDependency for compiling and
 * the mock tests), runs `pulumi up` and `destroy` here, where the GCP
 * plugin cannot be downloaded.
 *
 * The program's Pulumi.yaml has no `main`, so the Node.js language host
 * scans the program folder's node_modules for `"pulumi": {"resource":
 * true}` packages and does report gcp as required (asserted from the
 * engine's verbose log); the engine's attempt to install the plugin fails
 * and is not fatal, because no resource ever asks for the gcp provider.
 * (With `main: index.ts`, as examples/qemu-local has, the in-tree language
 * host scans nothing at all.)
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";

import { ensureTestImages } from "../helpers/boot";
import { repoRoot } from "../helpers/paths";
import { pulumiCommand, pulumiEnv } from "../helpers/pulumi-env";

const STACK = `gcpfree${process.pid}`;
const GCP_PACKAGE = path.join(repoRoot, "node_modules", "@pulumi", "gcp", "package.json");

const PROGRAM = `
const { Image } = require("pulumi-linuxkit");
const image = new Image("local", {
  configYaml: [
    "kernel:",
    "  image: linuxkit-test/kernel:test",
    "  cmdline: console=ttyS0",
    "init:",
    "  - linuxkit-test/init:test",
  ].join("\\n"),
  formats: ["kernel+initrd"],
});
exports.contentHash = image.contentHash;
exports.kernel = image.kernel;
`;

let work: string;
let stack: Stack;
let gcpVersion: string;

before(async () => {
  const pkg = JSON.parse(readFileSync(GCP_PACKAGE, "utf8")) as {
    version: string;
    pulumi?: { resource?: boolean };
  };
  assert.equal(pkg.pulumi?.resource, true, "@pulumi/gcp is installed and is a resource package");
  gcpVersion = pkg.version;
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-itest-gcpfree-"));
  const dir = path.join(work, "program");
  await mkdir(dir);
  await writeFile(path.join(dir, "Pulumi.yaml"), "name: lk-gcpfree\nruntime: nodejs\n");
  await writeFile(path.join(dir, "package.json"), '{"name": "lk-gcpfree", "private": true}\n');
  await writeFile(path.join(dir, "index.js"), PROGRAM);
  await symlink(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"));
  const home = path.join(work, "pulumi-home");
  await mkdir(home);
  await mkdir(path.join(work, "state"));
  stack = await LocalWorkspace.createOrSelectStack(
    { stackName: STACK, workDir: dir },
    {
      // A fresh PULUMI_HOME: no provider plugin installed, none downloadable.
      envVars: { ...pulumiEnv(path.join(work, "state")), PULUMI_HOME: home },
      pulumiCommand: await pulumiCommand(),
    },
  );
});

after(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe("a local-only program with @pulumi/gcp installed next to it", () => {
  it("pulumi up succeeds although the engine wants the gcp plugin and cannot get it", async (t) => {
    const started = Date.now();
    const up = await stack.up({ logVerbosity: 7, logToStdErr: true });
    assert.equal(up.summary.result, "succeeded");
    assert.deepEqual(up.summary.resourceChanges, { create: 2 });
    assert.match(String(up.outputs.contentHash?.value), /^[0-9a-f]{64}$/);
    assert.ok(
      up.stderr.includes(`package gcp-${gcpVersion} () is required by language host`),
      "the language host reported the gcp plugin as required",
    );
    assert.match(up.stderr, /failed to install plugin: .*gcp/, "and its download failed");
    t.diagnostic(
      `pulumi up (create) with the gcp plugin wanted and missing: ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  it("destroy succeeds too", async () => {
    const d = await stack.destroy();
    assert.equal(d.summary.result, "succeeded");
    await stack.workspace.removeStack(STACK);
  });
});

/**
 * A mixed YAML (one amd64-only image in an arm64 build) under the real
 * Pulumi engine (Automation API, local file backend): `pulumi preview`
 * fails naming the image, its field and both platforms — for a new Image,
 * and for an arm64 Image already up whose YAML gains the amd64 image — and
 * nothing is built or recorded. The images are the local stand-ins
 * (`linuxkit-test/*:test-arm64` and the amd64 `linuxkit-test/init:test`).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";

import { Image } from "../../components/pulumi/image/image";
import { ensureTestImages } from "../helpers/boot";
import { fixture } from "../helpers/paths";
import { pulumiCommand, pulumiEnv } from "../helpers/pulumi-env";

const STACK = `arm64preview${process.pid}`;
const MIXED = fixture("e2e", "arm64", "mixed.yml");
const GOOD = fixture("e2e", "arm64", "mini.yml");
const REFUSAL = /init\[0\]: image linuxkit-test\/init:test is for linux\/amd64, not linux\/arm64/;

let work: string;
let outputDir: string;
let stack: Stack;
/** The YAML the program's Image reads; changed between operations. */
let yamlFile = MIXED;

before(async () => {
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-arm64-preview-"));
  outputDir = path.join(work, "images");
  const program = async (): Promise<Record<string, unknown>> => {
    const image = new Image("edge", {
      configFiles: [yamlFile],
      arch: "arm64",
      formats: ["kernel+initrd"],
      outputDir,
    });
    return { arch: image.arch };
  };
  await mkdir(path.join(work, "state"));
  stack = await LocalWorkspace.createOrSelectStack(
    { stackName: STACK, projectName: "lk-arm64-preview", program },
    { envVars: pulumiEnv(path.join(work, "state")), pulumiCommand: await pulumiCommand() },
  );
});

after(async () => {
  await stack?.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await stack?.workspace.removeStack(STACK).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

describe("an amd64-only image in an arm64 Image, at pulumi preview", { concurrency: false }, () => {
  it("a new Image: the preview fails naming the image and both platforms; nothing is built", async () => {
    yamlFile = MIXED;
    let out = "";
    await assert.rejects(stack.preview({ onOutput: (l) => (out += l) }));
    assert.match(out, REFUSAL, out);
    assert.equal(existsSync(outputDir), false, "nothing was built");
  });

  it("an arm64 Image already up: a preview of the YAML with the amd64 image fails the same way; state keeps the good build", async () => {
    yamlFile = GOOD;
    const up = await stack.up({ onOutput: () => undefined });
    assert.equal(up.summary.result, "succeeded");
    assert.equal(up.outputs.arch?.value, "arm64");
    const built = await readdir(outputDir);
    yamlFile = MIXED;
    let out = "";
    await assert.rejects(stack.preview({ onOutput: (l) => (out += l) }));
    assert.match(out, REFUSAL, out);
    assert.deepEqual(await readdir(outputDir), built, "no new build");
    const state = await stack.exportStack();
    const image = (
      state.deployment.resources as { type: string; outputs?: { arch?: string } }[]
    ).find((r) => r.type.endsWith("linuxkit:Image") || r.type.includes("Image"));
    assert.equal(image?.outputs?.arch, "arm64");
  });
});

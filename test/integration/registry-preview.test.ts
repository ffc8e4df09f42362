/**
 * A tag moved on its registry, seen by `pulumi preview` through the real
 * Pulumi engine (Automation API, local file backend), with no Docker
 * engine: an Image with `source: "registry"` pulls from Debian's
 * docker-registry on loopback; after a new image is pushed under the same
 * tag, the preview shows a replace on `images` (with --diff, the id in
 * state going); with the registry gone, the preview keeps the last id and
 * changes nothing, and `up` fails naming the registry. (The lines the
 * provider writes about both go to its stderr, which the Pulumi CLI does
 * not show: see the e2e test for them.)
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";

import { Image } from "../../components/pulumi/image/image";
import { makeConfig, pushImage } from "../helpers/oci-push";
import { pulumiCommand, pulumiEnv } from "../helpers/pulumi-env";
import { TestRegistry } from "../helpers/registry";
import { tarBuffer } from "../helpers/tar-kit";

const STACK = `registry${process.pid}`;
let work: string;
let registry: TestRegistry;
let stack: Stack;
let ref: string;

async function pushVersion(version: string): Promise<string> {
  const layer = await tarBuffer([{ name: "version.txt", data: `${version}\n` }]);
  const pushed = await pushImage(
    { base: `http://${registry.host}` },
    "lk/moving",
    "stable",
    makeConfig("amd64", [layer]),
    [layer],
  );
  return pushed.configDigest;
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-registry-itest-"));
  registry = await TestRegistry.start();
  ref = `${registry.host}/lk/moving:stable`;
  const outputDir = path.join(work, "images");
  const program = async (): Promise<Record<string, unknown>> => {
    const image = new Image("moving", {
      configYaml: `onboot:\n  - name: app\n    image: ${ref}\n    command: ["/bin/true"]\n`,
      formats: ["tar"],
      outputDir,
      source: "registry",
    });
    return { images: image.images };
  };
  await mkdir(path.join(work, "state"));
  stack = await LocalWorkspace.createOrSelectStack(
    { stackName: STACK, projectName: "lk-registry-itest", program },
    {
      envVars: {
        ...pulumiEnv(path.join(work, "state")),
        DOCKER_HOST: "unix:///nonexistent/pulumi-linuxkit-test/docker.sock",
        PULUMI_LINUXKIT_OCI_CACHE: path.join(work, "oci"),
        DOCKER_CONFIG: path.join(work, "no-docker-config"),
      },
      pulumiCommand: await pulumiCommand(),
    },
  );
});

after(async () => {
  await stack?.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await stack?.workspace.removeStack(STACK).catch(() => undefined);
  await registry?.stop().catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

describe(
  "a moved tag in pulumi preview (registry source, no Docker engine)",
  { concurrency: false, timeout: 600_000 },
  () => {
    let v1: string;

    it("up pulls v1; a preview with nothing moved changes nothing", async () => {
      v1 = await pushVersion("v1");
      const up = await stack.up({ onOutput: () => undefined });
      assert.equal(up.summary.result, "succeeded");
      assert.deepEqual(up.outputs.images?.value, { [ref]: v1 });
      const preview = await stack.preview({ onOutput: () => undefined });
      assert.deepEqual(preview.changeSummary, { same: 2 });
    });

    it("v2 pushed under the tag: the preview replaces the Image on images", async () => {
      const v2 = await pushVersion("v2");
      let out = "";
      const preview = await stack.preview({ diff: true, onOutput: (l) => (out += l) });
      assert.equal(preview.changeSummary.replace, 1, JSON.stringify(preview.changeSummary));
      // --diff shows the id in state going; the new one is known once built
      assert.ok(out.includes(`- ${ref}: "${v1}"`), out);
      assert.notEqual(v2, v1);
    });

    it("registry gone: the preview keeps the last id; up fails naming the registry", async () => {
      await registry.stop();
      let out = "";
      const preview = await stack.preview({ onOutput: (l) => (out += l) });
      assert.deepEqual(preview.changeSummary, { same: 2 }, out);
      assert.match(
        out,
        new RegExp(
          `Image moving: warning: .*cannot reach ${registry.host.replace(/\./g, "\\.")}.*keeping the last digest`,
        ),
      );
      let upOut = "";
      await assert.rejects(stack.up({ onOutput: (l) => (upOut += l) }));
      assert.match(
        upOut,
        new RegExp(
          `cannot pull ${ref.replace(/\./g, "\\.")}: cannot reach ${registry.host.replace(/\./g, "\\.")}`,
        ),
        upOut,
      );
      assert.match(upOut, /hint: check that 127\.0\.0\.1:\d+ is up and reachable/);
    });
  },
);

/**
 * examples/metal as a user runs it, against the fake Metal API: with only
 * stack configuration set (projectId, baseUrl, `metal:apiUrl` and the
 * secret `metal:authToken`), `pulumi up` builds the image, lays out the
 * files to serve and creates an active device booting the script URL; the
 * served folder (through the `serve` file server) gives exactly that
 * script and the kernel; a second up changes nothing; destroy deletes the
 * device and the files. The token is nowhere in state or output.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { Stack } from "@pulumi/pulumi/automation";

import { startFileServer, type FileServer } from "../../components/serve/file-server";
import { ensureTestImages } from "../helpers/boot";
import { startFakeMetalApi, type FakeMetalApi } from "../helpers/fake-metal-api";
import { repoRoot } from "../helpers/paths";
import { folderStack } from "../helpers/pulumi-env";

const EXAMPLE = path.join(repoRoot, "examples", "metal");
const STACK = `metalex${process.pid}`;
const TOKEN = `example-token-${process.pid}-${Date.now()}`;

let work: string;
let stack: Stack;
let api: FakeMetalApi;
let files: FileServer;
const seen: string[] = [];
const record = (l: string): void => void seen.push(l);

before(async () => {
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-metal-example-"));
  api = await startFakeMetalApi({ token: TOKEN, stepMs: 50 });
  const served = path.join(work, "lk", "metal");
  await mkdir(served, { recursive: true });
  files = await startFileServer({ dir: served, port: 0, host: "127.0.0.1" });
  stack = await folderStack(EXAMPLE, STACK, path.join(work, "state"));
  await stack.setAllConfig({
    projectId: { value: "e5a1c0de-0000-4000-8000-000000000001" },
    baseUrl: { value: files.url },
    workDir: { value: path.join(work, "lk") },
    "metal:apiUrl": { value: api.apiUrl },
    "metal:authToken": { value: TOKEN, secret: true },
  });
});

after(async () => {
  await stack?.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await stack?.workspace.removeStack(STACK).catch(() => undefined);
  await rm(path.join(EXAMPLE, `Pulumi.${STACK}.yaml`), { force: true });
  await files?.close();
  await api?.close();
  await rm(work, { recursive: true, force: true });
});

describe("pulumi up/destroy on examples/metal (fake Metal API)", { concurrency: false }, () => {
  let deviceId: string;
  let scriptUrl: string;

  it("up builds, lays out the served files and creates an active device booting them", async () => {
    const result = await stack.up({ onOutput: record });
    assert.equal(result.summary.result, "succeeded");
    deviceId = result.outputs.deviceId?.value as string;
    scriptUrl = result.outputs.ipxeScriptUrl?.value as string;
    assert.equal(result.outputs.state?.value, "active");
    const device = api.devices.get(deviceId);
    assert.ok(device, "the device exists on the API");
    assert.equal(device.ipxe_script_url, scriptUrl);
    assert.equal(device.plan.slug, "c3.small.x86");
    assert.equal(device.hostname, "linuxkit-metal");
    // the program's tag, then the create tag a lost answer is found again by
    assert.equal(device.tags[0], "linuxkit");
    assert.match(String(device.tags[1]), /^linuxkit-create:[0-9a-f]{16}$/);
    assert.equal(device.tags.length, 2);
    assert.ok(scriptUrl.startsWith(`${files.url}/`));

    const script = await (await fetch(scriptUrl)).text();
    const versionUrl = scriptUrl.slice(0, scriptUrl.lastIndexOf("/"));
    assert.equal(
      script,
      `#!ipxe\n\ndhcp\nset base-url ${versionUrl}\nset kernel-params ip=dhcp nomodeset ro serial  console=ttyS1\nkernel \${base-url}/metal-kernel \${kernel-params}\ninitrd \${base-url}/metal-initrd.img\nboot`,
    );
    const kernel = await fetch(`${versionUrl}/metal-kernel`, { method: "HEAD" });
    assert.equal(kernel.status, 200);
    assert.ok(Number(kernel.headers.get("content-length")) > 1_000_000);
  });

  it("a second up changes nothing", async () => {
    const from = api.requests.length;
    const out: string[] = [];
    const result = await stack.up({ onOutput: (l) => (record(l), out.push(l)), diff: true });
    assert.deepEqual(
      Object.keys(result.summary.resourceChanges ?? {}).filter((k) => k !== "same"),
      [],
      out.join(""),
    );
    assert.deepEqual(
      api.requests.slice(from).filter((r) => r.method !== "GET"),
      [],
    );
  });

  it("destroy deletes the device and the served files; the token was never stored", async () => {
    await stack.destroy({ onOutput: record });
    assert.equal(api.devices.has(deviceId), false);
    assert.equal(
      existsSync(path.join(work, "lk", "metal", path.basename(path.dirname(scriptUrl)))),
      false,
    );
    for (const entry of await readdir(path.join(work, "state"), {
      recursive: true,
      withFileTypes: true,
    })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath ?? entry.path, entry.name);
      assert.ok(!(await readFile(file, "utf8")).includes(TOKEN), file);
    }
    const settings = await readFile(path.join(EXAMPLE, `Pulumi.${STACK}.yaml`), "utf8");
    assert.ok(!settings.includes(TOKEN), "stack settings hold the token only encrypted");
    assert.ok(!seen.join("").includes(TOKEN), "engine output");
  });
});

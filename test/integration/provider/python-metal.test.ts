/**
 * `linuxkit.metal.Device` from a Python program through the provider
 * plugin, against the fake Metal API on loopback (the real API cannot be
 * reached here). The token and the API root come from the provider's
 * configuration (`linuxkit:metalAuthToken` as a secret,
 * `linuxkit:metalApiUrl`): up creates the device and waits until it is
 * active; a second preview calls nothing that changes the API and shows no
 * change; a new iPXE script URL is an in-place update (PUT + reboot);
 * destroy deletes the device. The token is in no state file and no engine
 * output.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { Stack } from "@pulumi/pulumi/automation";

import { startFakeMetalApi, type FakeMetalApi } from "../../helpers/fake-metal-api";
import { installPlugin, pluginStack } from "../../helpers/provider-plugin";

const TOKEN = `metal-token-${randomBytes(12).toString("hex")}`;
const PROJECT_ID = "5b8c0e2a-0000-4000-8000-00000000cafe";

const PROGRAM = `import pulumi
import pulumi_linuxkit as linuxkit

config = pulumi.Config()
device = linuxkit.metal.Device(
    "web",
    project_id=config.require("projectId"),
    plan="c3.small.x86",
    metro="da",
    ipxe_script_url=config.require("scriptUrl"),
    tags=["linuxkit", "python"],
    poll_seconds=0.05,
    timeout_seconds=60,
)
pulumi.export("deviceId", device.device_id)
pulumi.export("state", device.state)
`;

let api: FakeMetalApi;
let work: string;
let stack: Stack;
/** Everything the engine printed. */
let printed = "";
const record = (s: string): void => {
  printed += s;
};

/** Requests from index `from` on that change something, ids replaced. */
function mutations(from: number): string[] {
  return api.requests
    .slice(from)
    .filter((r) => r.method !== "GET")
    .map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, "<id>")}`);
}

before(async () => {
  api = await startFakeMetalApi({ token: TOKEN, stepMs: 100, projects: [PROJECT_ID] });
  work = await mkdtemp(path.join(os.tmpdir(), "lk-plugin-py-metal-"));
  const home = path.join(work, "home");
  const program = path.join(work, "program");
  await installPlugin(home);
  await mkdir(program);
  await writeFile(path.join(program, "Pulumi.yaml"), "name: lk-python-metal\nruntime: python\n");
  await writeFile(path.join(program, "__main__.py"), PROGRAM);
  stack = await pluginStack(program, "dev", path.join(work, "state"), home);
  await stack.setAllConfig({
    projectId: { value: PROJECT_ID },
    scriptUrl: { value: "http://images.example/v1/web.ipxe" },
    "linuxkit:metalApiUrl": { value: api.apiUrl },
    "linuxkit:metalAuthToken": { value: TOKEN, secret: true },
  });
});

after(async () => {
  await stack?.destroy().catch(() => undefined);
  await api?.close();
  await rm(work, { recursive: true, force: true });
});

describe("linuxkit.metal.Device from a Python program", { concurrency: false }, () => {
  let deviceId: string;

  it("up creates the device and waits until it is active", async () => {
    const from = api.requests.length;
    const r = await stack.up({ onOutput: record });
    assert.equal(r.summary.result, "succeeded");
    assert.equal(r.summary.resourceChanges?.create, 2, JSON.stringify(r.summary.resourceChanges));
    deviceId = r.outputs["deviceId"]?.value as string;
    const device = api.devices.get(deviceId);
    assert.ok(device, `the fake holds device ${deviceId}`);
    assert.equal(device.state, "active");
    assert.equal(r.outputs["state"]?.value, "active");
    assert.equal(device.ipxe_script_url, "http://images.example/v1/web.ipxe");
    assert.deepEqual(device.tags.slice(0, 2), ["linuxkit", "python"]);
    assert.deepEqual(mutations(from), ["POST /projects/<id>/devices"]);
    assert.ok(
      api.requests.slice(from).every((q) => q.hadToken),
      "every call carried the token from the provider configuration",
    );
  });

  it("a second preview shows no change and changes nothing at the API", async () => {
    const from = api.requests.length;
    const pv = await stack.preview({ onOutput: record });
    assert.deepEqual(pv.changeSummary, { same: 2 });
    assert.deepEqual(mutations(from), []);
  });

  it("a new iPXE script URL is an update of the same device: PUT, then reboot", async () => {
    await stack.setConfig("scriptUrl", { value: "http://images.example/v2/web.ipxe" });
    const from = api.requests.length;
    const r = await stack.up({ onOutput: record });
    assert.deepEqual(r.summary.resourceChanges, { same: 1, update: 1 });
    assert.equal(r.outputs["deviceId"]?.value, deviceId);
    assert.deepEqual(mutations(from), ["PUT /devices/<id>", "POST /devices/<id>/actions"]);
    assert.equal(api.devices.get(deviceId)?.ipxe_script_url, "http://images.example/v2/web.ipxe");
  });

  it("destroy deletes the device; the token is in no state file and no output", async () => {
    const from = api.requests.length;
    await stack.destroy({ onOutput: record });
    assert.deepEqual(mutations(from), ["DELETE /devices/<id>"]);
    assert.equal(api.devices.size, 0);
    assert.ok(!printed.includes(TOKEN), "engine output holds no token");
    const stateDir = path.join(work, "state");
    for (const entry of await readdir(stateDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      assert.ok(!(await readFile(file, "utf8")).includes(TOKEN), `${file} holds no token`);
    }
    assert.ok(!JSON.stringify(api.requests).includes(TOKEN), "the fake's log holds no token");
  });
});

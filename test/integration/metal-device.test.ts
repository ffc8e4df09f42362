/**
 * MetalDevice under the real Pulumi engine (Automation API, local file
 * backend) against the fake Metal API on loopback: create waits for
 * `active`; a second up calls nothing; a new iPXE script URL is a PUT plus
 * a reboot of the same device, not a replacement; refresh notices a device
 * deleted behind Pulumi's back; destroy deletes it. The API token, from the
 * secret stack configuration `metal:authToken`, METAL_AUTH_TOKEN or a
 * secret input, never appears in the state (export or backend files), the
 * engine's output or events (debug ones included), or the fake's log.
 * SHOW_ENGINE_OUTPUT=1 prints what the engine said.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";

import { MetalDevice } from "../../components/pulumi/metal/metal-device";
import { startFakeMetalApi, type FakeMetalApi } from "../helpers/fake-metal-api";
import { pulumiBinDir, pulumiCommand, pulumiEnv } from "../helpers/pulumi-env";
import { describeFindings, findSecret } from "../helpers/secret-scan";

const TOKEN = `metal-token-${randomBytes(12).toString("hex")}`;
const PROJECT_ID = "5b8c0e2a-0000-4000-8000-00000000beef";
const PROJECT = "lk-metal-itest";
const DEVICE_TYPE = "pulumi-nodejs:dynamic/linuxkit:MetalDevice";

let api: FakeMetalApi;
let work: string;
/** Every line and event the engine gave us, to be searched for the token. */
const seen: string[] = [];

function record(line: string): void {
  if (process.env.SHOW_ENGINE_OUTPUT) process.stderr.write(line);
  seen.push(line);
}
const recordEvent = (e: EngineEvent): void => void seen.push(JSON.stringify(e));
const io = { onOutput: record, onEvent: recordEvent };

/** What the next program run declares. */
const want = {
  scriptUrl: "http://images.example/v1/web-equinixmetal.ipxe",
  plan: "c3.small.x86",
  tokenInProgram: false,
};

async function program(): Promise<Record<string, unknown>> {
  const device = new MetalDevice("web", {
    projectId: PROJECT_ID,
    plan: want.plan,
    metro: "da",
    ipxeScriptUrl: want.scriptUrl,
    tags: ["linuxkit", "itest"],
    apiUrl: api.apiUrl,
    ...(want.tokenInProgram ? { authToken: pulumi.secret(TOKEN) } : {}),
    pollSeconds: 0.05,
    timeoutSeconds: 30,
  });
  return {
    deviceId: device.deviceId,
    state: device.state,
    publicIpv4: device.publicIpv4,
    hostname: device.hostname,
  };
}

async function newStack(
  name: string,
  stateDir: string,
  env: Record<string, string>,
): Promise<Stack> {
  await mkdir(stateDir, { recursive: true });
  return LocalWorkspace.createOrSelectStack(
    { stackName: name, projectName: PROJECT, program },
    { envVars: { ...pulumiEnv(stateDir), ...env }, pulumiCommand: await pulumiCommand() },
  );
}

/** `pulumi stack export` as a user runs it: secrets stay encrypted. */
function plainExport(stack: Stack, stateDir: string): string {
  return execFileSync(
    path.join(pulumiBinDir(), "pulumi"),
    ["stack", "export", "--stack", stack.name],
    {
      cwd: stack.workspace.workDir,
      env: { ...process.env, ...pulumiEnv(stateDir) },
      encoding: "utf8",
    },
  );
}

interface StateResource {
  type: string;
  id?: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

function devicesInState(stack: Stack, stateDir: string): StateResource[] {
  const deployment = JSON.parse(plainExport(stack, stateDir)).deployment as {
    resources?: StateResource[];
  };
  return (deployment.resources ?? []).filter((r) => r.type === DEVICE_TYPE);
}

/** The token is in no state file, no export, no engine output, no fake log entry. */
async function assertTokenNowhere(stack: Stack, stateDir: string): Promise<void> {
  assert.ok(!plainExport(stack, stateDir).includes(TOKEN), "`pulumi stack export` holds no token");
  for (const entry of await readdir(stateDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    assert.ok(!(await readFile(file, "utf8")).includes(TOKEN), `${file} holds no token`);
  }
  // The SDK's debug trace of secret outputs is the one known exception (see secret-scan): it
  // shows a token given as an input (kept as a secret output); the README prefers the stack
  // configuration.
  const found = findSecret(seen.join("\n"), TOKEN, "engine output");
  assert.equal(found.length, 0, `engine output holds no token:\n${describeFindings(found)}`);
  assert.ok(!JSON.stringify(api.requests).includes(TOKEN), "the fake's log holds no token");
}

/** Requests the fake got from `from` on that change anything (or read devices). */
function mutations(from: number): string[] {
  return api.requests
    .slice(from)
    .filter((r) => r.method !== "GET")
    .map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, "<id>")}`);
}

before(async () => {
  api = await startFakeMetalApi({ token: TOKEN, stepMs: 150, projects: [PROJECT_ID] });
  work = await mkdtemp(path.join(os.tmpdir(), "lk-metal-itest-"));
});

after(async () => {
  await api?.close();
  await rm(work, { recursive: true, force: true });
});

describe(
  "MetalDevice with the token in the secret stack configuration",
  { concurrency: false },
  () => {
    const stateDir = (): string => path.join(work, "state-config");
    let stack: Stack;
    let deviceId: string;

    before(async () => {
      want.tokenInProgram = false;
      stack = await newStack(`metal${process.pid}`, stateDir(), {});
      await stack.setConfig("metal:authToken", { value: TOKEN, secret: true });
    });
    after(async () => {
      await stack?.destroy({ onOutput: () => undefined }).catch(() => undefined);
      await stack?.workspace.removeStack(stack.name).catch(() => undefined);
    });

    it("up creates a custom_ipxe device and waits until it is active", async () => {
      const from = api.requests.length;
      const result = await stack.up({ ...io, diff: true });
      assert.equal(result.summary.result, "succeeded");
      assert.equal(result.summary.resourceChanges?.create, 2); // the stack and the device
      deviceId = result.outputs.deviceId?.value as string;
      const device = api.devices.get(deviceId);
      assert.ok(device, "the fake holds the device the stack reports");
      assert.equal(result.outputs.state?.value, "active");
      assert.equal(result.outputs.hostname?.value, "web");
      assert.equal(result.outputs.publicIpv4?.value, device.ip_addresses[0]?.address);
      assert.match(result.outputs.publicIpv4?.value as string, /^147\.75\./);
      assert.deepEqual(mutations(from), ["POST /projects/<id>/devices"]);
      const post = api.requests.slice(from).find((r) => r.method === "POST")!;
      const createTag = (post.body as { tags?: unknown[] }).tags?.[2];
      assert.match(String(createTag), /^linuxkit-create:[0-9a-f]{16}$/);
      assert.deepEqual(post.body, {
        hostname: "web",
        plan: "c3.small.x86",
        metro: "da",
        operating_system: "custom_ipxe",
        ipxe_script_url: want.scriptUrl,
        always_pxe: true,
        // the user's tags, then the create tag a lost answer is found again by
        tags: ["linuxkit", "itest", createTag],
      });
      const polls = api.calls("GET", new RegExp(`^/devices/${deviceId}$`));
      assert.ok(polls.length >= 2, `polled until active (${polls.length} GETs)`);
      await assertTokenNowhere(stack, stateDir());
    });

    it("the token is in no resource's state, and in the stack configuration only encrypted", async () => {
      const [device] = devicesInState(stack, stateDir());
      assert.ok(device);
      assert.equal(device.inputs.authToken, undefined);
      assert.equal(device.outputs.authToken, undefined);
      const settings = await readFile(
        path.join(stack.workspace.workDir, `Pulumi.${stack.name}.yaml`),
        "utf8",
      );
      assert.match(settings, /metal:authToken:\s+secure:/);
      assert.ok(!settings.includes(TOKEN));
    });

    it("a second up calls nothing that changes the device", async () => {
      const from = api.requests.length;
      const result = await stack.up({ ...io, diff: true });
      assert.deepEqual(
        Object.keys(result.summary.resourceChanges ?? {}).filter((k) => k !== "same"),
        [],
        JSON.stringify(result.summary.resourceChanges),
      );
      assert.deepEqual(mutations(from), []);
    });

    it("a new iPXE script URL is a PUT and a reboot of the same device, not a replacement", async () => {
      want.scriptUrl = "http://images.example/v2/web-equinixmetal.ipxe";
      const from = api.requests.length;
      const result = await stack.up({ ...io, diff: true });
      assert.equal(result.summary.result, "succeeded");
      const changes = result.summary.resourceChanges ?? {};
      assert.equal(changes.update, 1, JSON.stringify(changes));
      for (const k of ["create", "delete", "replace"] as const)
        assert.equal(changes[k], undefined, k);
      assert.equal(result.outputs.deviceId?.value, deviceId, "the same machine");
      assert.deepEqual(mutations(from), ["PUT /devices/<id>", "POST /devices/<id>/actions"]);
      const [put, reboot] = api.requests.slice(from).filter((r) => r.method !== "GET");
      assert.equal(put?.path, `/devices/${deviceId}`);
      assert.deepEqual(put?.body, { ipxe_script_url: want.scriptUrl, always_pxe: true });
      assert.deepEqual(reboot?.body, { type: "reboot" });
      assert.equal(api.devices.get(deviceId)?.ipxe_script_url, want.scriptUrl);
      assert.equal(result.outputs.state?.value, "active", "waited for the reboot to finish");
      await assertTokenNowhere(stack, stateDir());
    });

    it("refresh notices a device deleted behind Pulumi's back, and up creates a new one", async () => {
      api.deleteBehindBack(deviceId);
      const refresh = await stack.refresh(io);
      assert.equal(refresh.summary.result, "succeeded");
      assert.equal(refresh.summary.resourceChanges?.delete, 1, JSON.stringify(refresh.summary));
      assert.deepEqual(devicesInState(stack, stateDir()), []);
      const result = await stack.up(io);
      assert.equal(result.summary.resourceChanges?.create, 1);
      const again = result.outputs.deviceId?.value as string;
      assert.notEqual(again, deviceId);
      assert.ok(api.devices.has(again));
      deviceId = again;
      await assertTokenNowhere(stack, stateDir());
    });

    it("destroy deletes the device", async () => {
      const from = api.requests.length;
      const result = await stack.destroy(io);
      assert.equal(result.summary.result, "succeeded");
      assert.deepEqual(mutations(from), ["DELETE /devices/<id>"]);
      assert.equal(api.devices.has(deviceId), false);
      await assertTokenNowhere(stack, stateDir());
    });
  },
);

describe("MetalDevice with the token from METAL_AUTH_TOKEN", { concurrency: false }, () => {
  const stateDir = (): string => path.join(work, "state-env");
  let stack: Stack;

  before(async () => {
    want.tokenInProgram = false;
    want.plan = "z9.huge";
    stack = await newStack(`metalenv${process.pid}`, stateDir(), { METAL_AUTH_TOKEN: TOKEN });
  });
  after(async () => {
    await stack?.destroy({ onOutput: () => undefined }).catch(() => undefined);
    await stack?.workspace.removeStack(stack.name).catch(() => undefined);
  });

  it("an unknown plan fails the up with the API's own message and a hint", async () => {
    const out: string[] = [];
    await assert.rejects(
      stack.up({ onOutput: (l) => (record(l), out.push(l)), onEvent: recordEvent }),
      /Plan "z9.huge" is not a valid plan/,
    );
    const text = out.join("");
    assert.match(text, /HTTP 422/);
    assert.match(text, /hint: .*plan/);
    await assertTokenNowhere(stack, stateDir());
  });

  it("creates, refreshes and destroys with the token only in the environment", async () => {
    want.plan = "c3.small.x86";
    const result = await stack.up(io);
    assert.equal(result.outputs.state?.value, "active");
    const [device] = devicesInState(stack, stateDir());
    assert.ok(device);
    assert.equal(device.inputs.authToken, undefined, "no token input");
    assert.equal(device.outputs.authToken, undefined, "no token output");
    const refresh = await stack.refresh(io);
    assert.equal(refresh.summary.result, "succeeded");
    const id = result.outputs.deviceId?.value as string;
    await stack.destroy(io);
    assert.equal(api.devices.has(id), false);
    await assertTokenNowhere(stack, stateDir());
  });
});

describe("MetalDevice with the token as a secret input", { concurrency: false }, () => {
  const stateDir = (): string => path.join(work, "state-input");
  let stack: Stack;

  before(async () => {
    want.tokenInProgram = true;
    want.plan = "c3.small.x86";
    stack = await newStack(`metalinput${process.pid}`, stateDir(), {});
  });
  after(async () => {
    await stack?.destroy({ onOutput: () => undefined }).catch(() => undefined);
    await stack?.workspace.removeStack(stack.name).catch(() => undefined);
  });

  it("up, refresh and destroy all work with the token only in the program, kept encrypted", async () => {
    const result = await stack.up(io);
    assert.equal(result.outputs.state?.value, "active");
    const id = result.outputs.deviceId?.value as string;
    const [device] = devicesInState(stack, stateDir());
    assert.match(JSON.stringify(device?.inputs.authToken), /ciphertext/, "input kept encrypted");
    assert.match(
      JSON.stringify(device?.outputs.authToken),
      /ciphertext/,
      "output kept encrypted: the engine hands it back to refresh and destroy",
    );
    // Refresh and destroy run without the program, with no configuration and no environment.
    const refresh = await stack.refresh(io);
    assert.equal(refresh.summary.result, "succeeded");
    await stack.destroy(io);
    assert.equal(api.devices.has(id), false);
    await assertTokenNowhere(stack, stateDir());
  });
});

/**
 * MetalDevice's provider methods called directly against the fake Metal
 * API (the engine-level behaviour is in test/integration): which changes
 * are a PUT, which also reboot, what refresh reports, a device that never
 * becomes active, and where the token comes from.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";

import type { MetalDeviceInputs } from "../../../../components/pulumi/metal/metal-device-inputs";
import {
  METAL_TOKEN_ENV,
  metalDeviceProvider,
} from "../../../../components/pulumi/metal/metal-device-provider";
import { startFakeMetalApi, type FakeMetalApi } from "../../../helpers/fake-metal-api";

let api: FakeMetalApi;
let inputs: MetalDeviceInputs;

before(async () => {
  api = await startFakeMetalApi({ advance: "gets" });
  // In-flight create records go below the program folder (the provider's cwd).
  process.chdir(await mkdtemp(path.join(os.tmpdir(), "lk-metal-device-")));
});
after(() => api.close());
beforeEach(async () => {
  inputs = (
    await metalDeviceProvider.check(
      {},
      {
        projectId: "p-1",
        plan: "m3.small.x86",
        metro: "sv",
        ipxeScriptUrl: "http://boot/v1/x-equinixmetal.ipxe",
        hostname: "unit",
        apiUrl: api.apiUrl,
        authToken: api.token,
        timeoutSeconds: 5,
        pollSeconds: 0.01,
      },
    )
  ).inputs;
});

/** Non-GET requests since `from`, as `METHOD path` with the body. */
function writes(from: number): { call: string; body: unknown }[] {
  return api.requests
    .slice(from)
    .filter((r) => r.method !== "GET")
    .map((r) => ({ call: `${r.method} ${r.path}`, body: r.body }));
}

describe("MetalDevice provider", () => {
  it("create stores the device's facts, and an authToken input for refresh and destroy (issue 19)", async () => {
    const { id, outs } = await metalDeviceProvider.create(inputs);
    assert.equal(outs.deviceId, id);
    assert.equal(outs.state, "active");
    assert.match(outs.publicIpv4 ?? "", /^147\.75\./);
    // Kept (the MetalDevice resource makes it a secret output, encrypted in state) so that
    // refresh and destroy, which get only the stored outputs, can use it.
    assert.equal(outs.authToken, api.token);
    const read = await metalDeviceProvider.read(id, outs);
    assert.equal(read.id, id, "refresh works with no METAL_AUTH_TOKEN and no configuration");
    await metalDeviceProvider.delete(id, outs);
    assert.equal(api.devices.has(id), false, "so does destroy");
  });

  it("tags or hostname alone: a PUT, no reboot", async () => {
    const { id, outs } = await metalDeviceProvider.create(inputs);
    const from = api.requests.length;
    const r = await metalDeviceProvider.update(id, outs, {
      ...inputs,
      tags: ["x"],
      hostname: "h2",
    });
    assert.deepEqual(writes(from), [
      { call: `PUT /devices/${id}`, body: { hostname: "h2", tags: ["x"] } },
    ]);
    assert.equal(r.outs.hostname, "h2");
  });

  it("userData: a PUT and a reboot, then waits for active", async () => {
    const { id, outs } = await metalDeviceProvider.create(inputs);
    const from = api.requests.length;
    const r = await metalDeviceProvider.update(id, outs, { ...inputs, userData: "#!ipxe" });
    assert.deepEqual(writes(from), [
      { call: `PUT /devices/${id}`, body: { userdata: "#!ipxe" } },
      { call: `POST /devices/${id}/actions`, body: { type: "reboot" } },
    ]);
    assert.equal(r.outs.state, "active");
  });

  it("refresh reports a script URL changed outside Pulumi, and a deleted device as gone", async (t) => {
    const { id, outs } = await metalDeviceProvider.create(inputs);
    api.devices.get(id)!.ipxe_script_url = "http://elsewhere/x.ipxe";
    // Without a stored token, refresh reads it from the environment (or config).
    const { authToken: _stored, ...noToken } = outs;
    void _stored;
    await assert.rejects(metalDeviceProvider.read(id, noToken), /no Metal API token/);
    process.env[METAL_TOKEN_ENV] = api.token;
    t.after(() => delete process.env[METAL_TOKEN_ENV]);
    const read = await metalDeviceProvider.read(id, outs);
    assert.equal(read.props?.ipxeScriptUrl, "http://elsewhere/x.ipxe");
    assert.equal(
      (await metalDeviceProvider.diff(id, read.props!, inputs)).changes,
      true,
      "the next up puts it back",
    );
    api.deleteBehindBack(id);
    assert.deepEqual(await metalDeviceProvider.read(id, outs), {});
    await metalDeviceProvider.delete(id, outs); // already gone: fine
  });

  it("a device that never becomes active is recorded with its id and the reason", async () => {
    const { id, outs } = await metalDeviceProvider.create(inputs);
    const from = api.requests.length;
    api.hold(id, "powering_on");
    await assert.rejects(
      metalDeviceProvider.update(id, outs, { ...inputs, timeoutSeconds: 0.2, userData: "v2" }),
      (e: Error & { id?: string; properties?: { state?: string }; reasons?: string[] }) => {
        assert.equal(e.id, id);
        assert.equal(e.properties?.state, "powering_on");
        assert.match(e.message, /still "powering_on" when the wait for active timed out/);
        assert.match(e.message, /hint: /);
        return true;
      },
    );
    assert.equal(writes(from).length, 2, "PUT and reboot were sent");
    api.release(id);
    const diff = await metalDeviceProvider.diff(
      id,
      { ...outs, state: "failed" },
      { ...inputs, userData: "v2" },
    );
    assert.deepEqual(diff.replaces, ["state"], "a failed device is replaced on the next up");
  });

  it("reads the token from METAL_AUTH_TOKEN when no input is given, and says what to set when none is", async () => {
    const { authToken: _unused, ...noToken } = inputs;
    void _unused;
    process.env[METAL_TOKEN_ENV] = api.token;
    try {
      const { id } = await metalDeviceProvider.create(noToken);
      assert.ok(api.devices.has(id));
    } finally {
      delete process.env[METAL_TOKEN_ENV];
    }
    await assert.rejects(
      metalDeviceProvider.create(noToken),
      /no Metal API token \(hint: give the resource an authToken \(as a secret\), run `pulumi config set --secret metal:authToken <token>`, or set METAL_AUTH_TOKEN/,
    );
  });

  it("a refused token fails create with the API's message, without the token", async () => {
    const wrong = "wrong-token-1234567890";
    await assert.rejects(
      metalDeviceProvider.create({ ...inputs, authToken: wrong }),
      (e: Error) => {
        assert.match(
          e.message,
          /creating Metal device unit: Metal API POST \/projects\/p-1\/devices failed with HTTP 401: Invalid authentication token/,
        );
        assert.ok(!e.message.includes(wrong));
        return true;
      },
    );
  });
});

/**
 * No Metal device outlives Pulumi's knowledge of it (issue 19, finding 1):
 * an API that stops answering after the POST, a POST whose answer is lost,
 * and a provider killed between POST and the engine's record all end with
 * every device the fake API holds either in what the provider returned
 * (or the error it threw carries) or adopted by the next create.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";

import { MetalClient } from "../../../../components/metal/metal-client";
import {
  createDeviceOnce,
  DEFAULT_PENDING_DIR,
} from "../../../../components/metal/pending-creates";
import type { MetalDeviceInputs } from "../../../../components/pulumi/metal/metal-device-inputs";
import {
  METAL_TOKEN_ENV,
  metalDeviceProvider,
} from "../../../../components/pulumi/metal/metal-device-provider";
import {
  metalFleetProvider,
  type MetalFleetInputs,
} from "../../../../components/pulumi/metal/metal-fleet-provider";
import { startFakeMetalApi, type FakeMetalApi } from "../../../helpers/fake-metal-api";

let api: FakeMetalApi;
let inputs: MetalDeviceInputs;

type Recorded = Error & { id?: string; properties?: Record<string, unknown> };

before(async () => {
  api = await startFakeMetalApi({ advance: "gets", getsPerStep: 1 });
  process.env[METAL_TOKEN_ENV] = api.token;
  process.env.LINUXKIT_METAL_RETRY_BASE_MS = "5";
});
after(async () => {
  delete process.env[METAL_TOKEN_ENV];
  await api.close();
});
beforeEach(async () => {
  process.chdir(await mkdtemp(path.join(os.tmpdir(), "lk-metal-orphans-")));
  for (const id of [...api.devices.keys()]) api.deleteBehindBack(id);
  inputs = (
    await metalDeviceProvider.check(
      {},
      {
        projectId: "p-1",
        plan: "m3.small.x86",
        metro: "sv",
        ipxeScriptUrl: "http://boot/v1.ipxe",
        hostname: "orphan-test",
        apiUrl: api.apiUrl,
        timeoutSeconds: 5,
        pollSeconds: 0.01,
      },
    )
  ).inputs;
});

const isDeviceGet = (m: string, p: string): boolean => m === "GET" && /^\/devices\//.test(p);

describe("MetalDevice create never orphans a device", () => {
  it("an API that answers 503 while waiting for active: the error carries the device's id", async () => {
    api.inject({ status: 503, match: isDeviceGet, times: 1000 });
    const err = await metalDeviceProvider.create(inputs).then(
      () => assert.fail("create should fail while the API answers 503"),
      (e: Recorded) => e,
    );
    api.clearFaults();
    assert.equal(api.devices.size, 1);
    const [id] = [...api.devices.keys()];
    assert.equal(err.id, id, "the engine records the device from the error's id");
    assert.equal(err.properties?.deviceId, id);
    assert.match(err.message, /HTTP 503/);
    // The record makes the next up wait again instead of doing nothing.
    const d = await metalDeviceProvider.diff(id!, err.properties as never, inputs);
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, []);
  });

  it("a POST whose answer is lost (connection reset after the create): one device, not two", async () => {
    const mark = api.requests.length;
    api.inject({ kind: "reset", after: true, match: (m) => m === "POST" });
    const { id } = await metalDeviceProvider.create(inputs);
    assert.deepEqual([...api.devices.keys()], [id]);
    const posts = api.requests.slice(mark).filter((r) => r.method === "POST");
    assert.deepEqual(
      posts.map((r) => r.status),
      [-1],
      "one POST, whose answer was lost; the device was then found by its create tag",
    );
  });

  it("a provider killed after the POST: the next create adopts the device", async () => {
    // What a killed create leaves: the record written before the POST, the device, no state.
    const client = new MetalClient({ apiUrl: api.apiUrl, authToken: api.token });
    const left = await createDeviceOnce(client, path.resolve(DEFAULT_PENDING_DIR), "p-1", {
      hostname: inputs.hostname,
      plan: inputs.plan,
      metro: inputs.metro,
      operating_system: "custom_ipxe",
      ipxe_script_url: inputs.ipxeScriptUrl,
      always_pxe: true,
    });
    const { id, outs } = await metalDeviceProvider.create(inputs);
    assert.equal(id, left.device.id);
    assert.equal(api.devices.size, 1);
    assert.equal(outs.state, "active");
    assert.deepEqual(await readdir(path.resolve(DEFAULT_PENDING_DIR)), []);
  });

  it("a leftover that no longer matches the inputs is deleted, not adopted", async () => {
    const client = new MetalClient({ apiUrl: api.apiUrl, authToken: api.token });
    const left = await createDeviceOnce(client, path.resolve(DEFAULT_PENDING_DIR), "p-1", {
      hostname: inputs.hostname,
      plan: inputs.plan,
      metro: inputs.metro,
      operating_system: "custom_ipxe",
      ipxe_script_url: "http://boot/old.ipxe",
      always_pxe: true,
    });
    const { id } = await metalDeviceProvider.create(inputs);
    assert.notEqual(id, left.device.id);
    assert.deepEqual([...api.devices.keys()], [id]);
  });
});

describe("MetalFleet create never orphans a device", () => {
  it("an API that fails during the health wait: the error carries every device", async () => {
    const fleetInputs = (
      await metalFleetProvider.check({}, {
        name: "orph",
        projectId: "p-1",
        plan: "m3.small.x86",
        metro: "sv",
        ipxeScriptUrl: "http://boot/v1.ipxe",
        apiUrl: api.apiUrl,
        size: 2,
        maxUnavailable: 2,
        pollSeconds: 0.01,
        health: { timeoutSeconds: 2 },
      } satisfies Partial<MetalFleetInputs>)
    ).inputs;
    api.inject({ status: 503, match: isDeviceGet, times: 1000 });
    const err = await metalFleetProvider.create(fleetInputs).then(
      () => assert.fail("create should fail while the API answers 503"),
      (e: Recorded) => e,
    );
    api.clearFaults();
    assert.equal(api.devices.size, 2);
    assert.ok(err.id, "the fleet is recorded");
    const state = err.properties?.fleetState as { slots: { machine: { deviceId: string } }[] };
    assert.deepEqual(
      state.slots.map((s) => s.machine.deviceId).sort(),
      [...api.devices.keys()].sort(),
    );
  });
});

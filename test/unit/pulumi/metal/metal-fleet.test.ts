/**
 * MetalFleet's rollout against the fake Metal API on loopback: devices move
 * to a new iPXE script one at a time (PUT, reboot, back to active, health,
 * then the next device); a device that never returns to `active` stops the
 * rollout with the device named, the next device untouched and the partial
 * state recorded; the provider records that state, refresh notices a device
 * deleted elsewhere and delete removes every device.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { RolloutError, rollout, type FleetState } from "../../../../components/fleet";
import { MetalClient } from "../../../../components/metal/metal-client";
import {
  metalFleetAdapter,
  type MetalFleetMachine,
} from "../../../../components/fleet/adapters/metal-fleet-adapter";
import { METAL_TOKEN_ENV } from "../../../../components/pulumi/metal/metal-device-provider";
import {
  metalFleetProvider,
  type MetalFleetInputs,
  type MetalFleetOutputs,
} from "../../../../components/pulumi/metal/metal-fleet-provider";
import { startFakeMetalApi, type FakeMetalApi } from "../../../helpers/fake-metal-api";

let api: FakeMetalApi;
let pendingDir: string;

before(async () => {
  api = await startFakeMetalApi({ stepMs: 20 });
  pendingDir = await mkdtemp(path.join(os.tmpdir(), "lk-metal-pending-"));
  // The providers keep their in-flight create records below the program folder (the cwd).
  process.chdir(pendingDir);
  process.env[METAL_TOKEN_ENV] = api.token;
});
after(async () => {
  delete process.env[METAL_TOKEN_ENV];
  await api.close();
});

/** The adapter with a health probe that writes itself into the request timeline. */
function adapter(script: string, timeoutSeconds = 5) {
  return metalFleetAdapter({
    client: new MetalClient({ apiUrl: api.apiUrl, authToken: api.token, retry: { attempts: 1 } }),
    name: "web",
    projectId: "proj-1",
    plan: "c3.small.x86",
    metro: "da",
    ipxeScriptUrl: script,
    alwaysPxe: true,
    health: { httpPath: "/", timeoutSeconds },
    pollSeconds: 0.02,
    pendingDir,
    probe: async (address) => {
      api.requests.push({ method: "HEALTH", path: address, hadToken: false, status: 200 });
      return true;
    },
  });
}

/** Non-GET requests and health checks, as `METHOD device-hostname`. */
function timeline(from: number): string[] {
  const host = (id: string): string => api.devices.get(id)?.hostname ?? id;
  const byIp = (ip: string): string =>
    [...api.devices.values()].find((d) => d.ip_addresses.some((a) => a.address === ip))?.hostname ??
    ip;
  return api.requests.slice(from).flatMap((r) => {
    if (r.method === "HEALTH") return [`HEALTH ${byIp(r.path)}`];
    const m = /^\/devices\/([^/]+)(\/actions)?$/.exec(r.path);
    if (r.method === "PUT" && m) return [`PUT ${host(m[1]!)}`];
    if (r.method === "POST" && m?.[2]) return [`REBOOT ${host(m[1]!)}`];
    if (r.method === "POST") return [`CREATE ${(r.body as { hostname: string }).hostname}`];
    return [];
  });
}

const policy = { maxSurge: 0, maxUnavailable: 1 };

describe("MetalFleet rollout over the fake Metal API", () => {
  let state: FleetState<MetalFleetMachine>;

  it("creates the devices one wave at a time, each active and healthy before the next", async () => {
    const mark = api.requests.length;
    state = await rollout(
      adapter("https://img/v1.ipxe"),
      { slots: [] },
      { size: 3, image: "v1" },
      policy,
    );
    assert.deepEqual(timeline(mark), [
      "CREATE web-0",
      "HEALTH web-0",
      "CREATE web-1",
      "HEALTH web-1",
      "CREATE web-2",
      "HEALTH web-2",
    ]);
    assert.deepEqual(
      state.slots.map((s) => s.health),
      ["healthy", "healthy", "healthy"],
    );
  });

  it("moves devices by PUT + reboot, one at a time: health passes before the next device is touched", async () => {
    const mark = api.requests.length;
    state = await rollout(adapter("https://img/v2.ipxe"), state, { size: 3, image: "v2" }, policy);
    assert.deepEqual(timeline(mark), [
      "PUT web-0",
      "REBOOT web-0",
      "HEALTH web-0",
      "PUT web-1",
      "REBOOT web-1",
      "HEALTH web-1",
      "PUT web-2",
      "REBOOT web-2",
      "HEALTH web-2",
    ]);
    // Between a reboot and the next PUT the device was seen back in `active`.
    const seq = api.requests.slice(mark);
    const reboot0 = seq.findIndex((r) => r.path.endsWith("/actions"));
    const put1 = seq.findIndex((r, i) => i > reboot0 && r.method === "PUT");
    assert.ok(
      seq.slice(reboot0, put1).filter((r) => r.method === "GET").length >= 2,
      "polled until active",
    );
    for (const d of api.devices.values()) {
      assert.equal(d.ipxe_script_url, "https://img/v2.ipxe");
      assert.equal(d.state, "active");
    }
    assert.deepEqual(
      state.slots.map((s) => s.machine.ipxeScriptUrl),
      Array(3).fill("https://img/v2.ipxe"),
    );
  });

  it("a device that never returns to active halts the rollout, naming it; later devices are untouched", async () => {
    const web1 = state.slots[1]!.machine.deviceId;
    const web2 = state.slots[2]!.machine.deviceId;
    api.hold(web1, "powering_on");
    const mark = api.requests.length;
    const err = await rollout(
      adapter("https://img/v3.ipxe", 1),
      state,
      { size: 3, image: "v3" },
      policy,
    ).catch((e: unknown) => e);
    assert.ok(err instanceof RolloutError);
    assert.match(err.message, new RegExp(`machine web-1 \\(device ${web1}.*\\) \\(slot 1`));
    assert.match(err.message, /still "powering_on" when the wait for active timed out/);
    assert.match(err.message, /device state: powering_on/);
    assert.deepEqual(timeline(mark), [
      "PUT web-0",
      "REBOOT web-0",
      "HEALTH web-0",
      "PUT web-1",
      "REBOOT web-1",
    ]);
    assert.equal(api.devices.get(web2)!.ipxe_script_url, "https://img/v2.ipxe", "web-2 untouched");
    assert.deepEqual(
      (err as RolloutError<MetalFleetMachine>).state.slots.map((s) => [s.slot, s.image, s.health]),
      [
        [0, "v3", "healthy"],
        [1, "v3", "unhealthy"],
        [2, "v2", "healthy"],
      ],
    );
    api.release(web1);
    api.setState(web1, "active");
  });
});

describe("MetalFleet repair of a device whose create was cut short", () => {
  /** A slot recorded unhealthy with a device still provisioning, as an interrupted create leaves it. */
  async function leftProvisioning(script: string): Promise<FleetState<MetalFleetMachine>> {
    const client = new MetalClient({ apiUrl: api.apiUrl, authToken: api.token });
    const d = await client.createDevice("proj-3", {
      hostname: "web-0",
      plan: "c3.small.x86",
      metro: "da",
      operating_system: "custom_ipxe",
      ipxe_script_url: script,
      always_pxe: true,
    });
    api.hold(d.id, "provisioning");
    setTimeout(() => api.release(d.id), 300);
    const machine = { deviceId: d.id, slot: 0, hostname: "web-0", ipxeScriptUrl: script };
    return { slots: [{ slot: 0, image: "v1", machine, health: "unhealthy" }] };
  }

  it("already booting the target script: no PUT, no reboot (the API refuses one while provisioning); health waits for active", async () => {
    const state = await leftProvisioning("https://img/r1.ipxe");
    const mark = api.requests.length;
    const done = await rollout(
      adapter("https://img/r1.ipxe"),
      state,
      { size: 1, image: "v1" },
      policy,
    );
    assert.deepEqual(timeline(mark), ["HEALTH web-0"]);
    assert.equal(done.slots[0]!.health, "healthy");
  });

  it("provisioning another script: waits for active, then PUT and reboot", async () => {
    const state = await leftProvisioning("https://img/r1.ipxe");
    const id = state.slots[0]!.machine.deviceId;
    const mark = api.requests.length;
    const done = await rollout(
      adapter("https://img/r2.ipxe"),
      state,
      { size: 1, image: "v2" },
      policy,
    );
    assert.deepEqual(timeline(mark), ["PUT web-0", "REBOOT web-0", "HEALTH web-0"]);
    assert.ok(
      api.requests.slice(mark).every((r) => r.status !== 422),
      "no action was refused",
    );
    assert.equal(api.devices.get(id)!.ipxe_script_url, "https://img/r2.ipxe");
    assert.equal(done.slots[0]!.health, "healthy");
  });
});

describe("metalFleetProvider", () => {
  const inputs = (script: string, size = 2): MetalFleetInputs => ({
    name: "api",
    projectId: "proj-2",
    plan: "c3.small.x86",
    metro: "da",
    ipxeScriptUrl: script,
    alwaysPxe: true,
    apiUrl: api.apiUrl,
    size,
    maxUnavailable: 1,
    health: { timeoutSeconds: 1 },
    pollSeconds: 0.02,
  });
  let id: string;
  let outs: MetalFleetOutputs;

  it("check rejects maxUnavailable 0: Metal has no surge", async () => {
    const { failures } = await metalFleetProvider.check(undefined, {
      ...inputs("s"),
      maxUnavailable: 0,
    });
    assert.match(failures.map((f) => f.reason).join(), /maxUnavailable must be at least 1/);
  });

  it("create makes the devices; a failed update records the partial state in the error", async () => {
    ({ id, outs } = await metalFleetProvider.create(inputs("https://img/a.ipxe")));
    assert.equal(outs.status, "converged");
    const second = outs.machines[1]!.deviceId!;
    api.hold(second, "powering_off");
    const diff = await metalFleetProvider.diff(id, outs, inputs("https://img/b.ipxe"));
    assert.deepEqual([diff.changes, diff.replaces], [true, []]);
    const err = (await metalFleetProvider
      .update(id, outs, inputs("https://img/b.ipxe"))
      .catch((e: unknown) => e)) as Error & {
      id: string;
      properties: MetalFleetOutputs;
      reasons: string[];
    };
    assert.equal(err.id, id);
    assert.match(err.reasons[0]!, /^rollout stopped: machine api-1 \(device [^)]+\) \(slot 1/);
    assert.equal(err.properties.status, "partial");
    assert.deepEqual(
      err.properties.machines.map((m) => [m.ipxeScriptUrl, m.health]),
      [
        ["https://img/b.ipxe", "healthy"],
        ["https://img/b.ipxe", "unhealthy"],
      ],
    );
    api.release(second);
    api.setState(second, "active");
    outs = (await metalFleetProvider.update(id, err.properties, inputs("https://img/b.ipxe"))).outs;
    assert.equal(outs.status, "converged");
    assert.deepEqual(
      outs.machines.map((m) => m.health),
      ["healthy", "healthy"],
    );
  });

  it("refresh marks a device deleted elsewhere as dead; update recreates it; delete removes them all", async () => {
    api.deleteBehindBack(outs.machines[0]!.deviceId!);
    const read = await metalFleetProvider.read(id, outs);
    assert.deepEqual(
      read.props!.machines.map((m) => m.health),
      ["dead", "healthy"],
    );
    outs = (await metalFleetProvider.update(id, read.props!, inputs("https://img/b.ipxe"))).outs;
    assert.deepEqual(
      outs.machines.map((m) => m.health),
      ["healthy", "healthy"],
    );
    const project = (d: { project: { href: string } }): boolean =>
      d.project.href.endsWith("/proj-2");
    assert.equal([...api.devices.values()].filter(project).length, 2);
    await metalFleetProvider.delete(id, outs);
    assert.equal([...api.devices.values()].filter(project).length, 0);
  });
});

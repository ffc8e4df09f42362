/**
 * The RedfishFleet provider against the stand-in BMC (three systems behind
 * one endpoint): check failures; create boots every machine; a new image
 * re-images them in place, at most maxUnavailable at a time, with one
 * eject, insert, override and restart each; a machine that does not get
 * ready stops the rollout naming it, records it unhealthy, leaves the
 * later machines alone and the next up resumes; a slot that lists another
 * machine releases the old one; refresh marks a machine powered off dead;
 * delete powers every machine off. No credentials in the fleet state.
 */
import assert from "node:assert/strict";
import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import {
  redfishFleetProvider as provider,
  type RedfishFleetInputs,
  type RedfishFleetOutputs,
} from "../../../../components/pulumi/redfish/redfish-fleet-provider";
import { startFakeBmc, type FakeBmc } from "../../../helpers/fake-redfish-bmc";

const PASSWORD = "fleet-secret-pw";
let bmc: FakeBmc;
let dir: string;

before(async () => {
  bmc = await startFakeBmc({ username: "admin", password: PASSWORD, systems: ["a", "b", "c"] });
  dir = await mkdtemp(path.join(os.tmpdir(), "lk-rf-fleet-"));
  for (const s of ["a", "b", "c"]) await writeFile(path.join(dir, `${s}.log`), "");
});
after(async () => {
  await bmc.close();
  await rm(dir, { recursive: true, force: true });
});

const inputs = (iso: string, more: Partial<RedfishFleetInputs> = {}): RedfishFleetInputs =>
  ({
    name: "web",
    machines: ["a", "b", "c"].map((s) => ({
      endpoint: bmc.endpoint,
      systemId: s,
      readiness: { consoleLog: path.join(dir, `${s}.log`) },
    })),
    username: "admin",
    password: PASSWORD,
    isoUrl: iso,
    readiness: { consolePattern: `booted ${iso}`, timeoutSeconds: 3 },
    maxUnavailable: 1,
    powerTimeoutSeconds: 5,
    ...more,
  }) as RedfishFleetInputs;

/**
 * A machine "boots" when the BMC resets it: its console shows what it
 * booted (the inserted ISO, else the HTTP boot URI of its override).
 */
let booting = true;
const timer = setInterval(() => {
  if (!booting) return;
  for (const [id, s] of bmc.systems) {
    const booted = s.inserted ? s.image : String(s.boot.HttpBootUri ?? "");
    if (s.power === "On" && booted !== "" && !booted.includes("broken")) {
      void appendFile(path.join(dir, `${id}.log`), `booted ${booted}\n`);
    }
  }
}, 100);
after(() => {
  booting = false;
  clearInterval(timer);
});

const changes = (from: number): string[] =>
  bmc.requests
    .slice(from)
    .filter((r) => r.method !== "GET" && !r.path.includes("SessionService"))
    .map((r) => `${r.method} ${r.path.replace("/redfish/v1/Systems/", "")}`);

describe("RedfishFleet provider", () => {
  let id = "";
  let outs: RedfishFleetOutputs;

  it("check: at least one machine, each an endpoint, none twice, maxUnavailable at least 1", async () => {
    const r = await provider.check(undefined, {
      ...inputs("http://i/v1.iso"),
      machines: [{ endpoint: "bmc" }, { endpoint: bmc.endpoint }, { endpoint: bmc.endpoint }],
      readiness: {},
      maxUnavailable: 0,
    });
    assert.deepEqual(
      (r.failures ?? []).map((f) => f.reason),
      [
        `machines[0].endpoint must be the BMC's https://<host>[:port], got "bmc"`,
        `machines[2] lists ${bmc.endpoint} a second time`,
        "maxUnavailable must be at least 1: machines are re-imaged in place (no surge)",
      ],
    );
  });

  it("create boots every machine; the state holds no credentials", async () => {
    const r = await provider.create(inputs("http://i/v1.iso"));
    id = r.id;
    outs = r.outs;
    assert.equal(outs.status, "converged");
    assert.deepEqual(
      outs.machineStates.map((m) => m.health),
      ["healthy", "healthy", "healthy"],
    );
    assert.ok(!JSON.stringify(outs.fleetState).includes(PASSWORD));
    for (const s of bmc.systems.values())
      assert.deepEqual([s.power, s.image], ["On", "http://i/v1.iso"]);
  });

  it("a new image: each machine re-imaged in place, one at a time", async () => {
    const from = bmc.requests.length;
    const r = await provider.update(id, outs, inputs("http://i/v2.iso"));
    outs = r.outs;
    assert.equal(outs.status, "converged");
    const seq = changes(from);
    const expect = (s: string): string[] => [
      `POST ${s}/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia`,
      `POST ${s}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`,
      `PATCH ${s}`,
      `POST ${s}/Actions/ComputerSystem.Reset`,
    ];
    assert.deepEqual(
      seq,
      [...expect("a"), ...expect("b"), ...expect("c")],
      "one machine after the other",
    );
  });

  it("a broken image stops at the first machine, naming it; the others keep their image; the next up resumes", async () => {
    const err = (await provider.update(id, outs, inputs("http://i/broken.iso")).then(
      () => assert.fail("rollout of a broken image succeeded"),
      (e: unknown) => e,
    )) as Error & { properties?: RedfishFleetOutputs };
    assert.match(
      err.message,
      new RegExp(
        `rollout stopped: machine web-0 \\(${bmc.endpoint.replace(/[.]/g, "\\.")}/redfish/v1/Systems/a\\) \\(slot 0`,
      ),
    );
    assert.match(err.message, /not ready after 3 s: still waiting for console pattern/);
    const state = err.properties!;
    assert.equal(state.status, "partial");
    assert.deepEqual(
      state.machineStates.map((m) => m.health),
      ["unhealthy", "healthy", "healthy"],
    );
    assert.equal(bmc.systems.get("b")!.image, "http://i/v2.iso");
    assert.equal(bmc.systems.get("c")!.image, "http://i/v2.iso");
    const r = await provider.update(id, state, inputs("http://i/v2.iso"));
    assert.equal(r.outs.status, "converged");
    outs = r.outs;
  });

  it("refresh marks a machine powered off dead; up boots it again", async () => {
    bmc.systems.get("b")!.power = "Off";
    const r = await provider.read(id, outs);
    const props = r.props as RedfishFleetOutputs;
    assert.deepEqual(
      props.machineStates.map((m) => m.health),
      ["healthy", "dead", "healthy"],
    );
    assert.equal(props.status, "partial");
    assert.equal((await provider.diff(id, props, inputs("http://i/v2.iso"))).changes, true);
    const up = await provider.update(id, props, inputs("http://i/v2.iso"));
    assert.equal(up.outs.status, "converged");
    assert.equal(bmc.systems.get("b")!.power, "On");
    outs = up.outs;
  });

  it("moving to HTTP boot ejects each machine's ISO before its override and restart", async () => {
    const efi = "http://i/v3-efi.iso";
    const http = inputs(efi, { bootMethod: "http", bootUrl: efi, isoUrl: undefined });
    const from = bmc.requests.length;
    const r = await provider.update(id, outs, http);
    assert.equal(r.outs.status, "converged");
    const expect = (s: string): string[] => [
      `POST ${s}/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia`,
      `PATCH ${s}`,
      `POST ${s}/Actions/ComputerSystem.Reset`,
    ];
    assert.deepEqual(changes(from), [...expect("a"), ...expect("b"), ...expect("c")]);
    for (const s of bmc.systems.values()) assert.equal(s.inserted, false);
    outs = r.outs;
  });

  it("delete powers every machine off", async () => {
    await provider.delete(id, outs);
    for (const s of bmc.systems.values()) assert.equal(s.power, "Off");
    assert.deepEqual(bmc.openSessions(), []);
  });
});

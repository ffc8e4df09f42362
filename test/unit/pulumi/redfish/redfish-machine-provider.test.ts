/**
 * The RedfishMachine provider's methods against the stand-in BMC: check
 * failures (never quoting the password), the diff rules (another machine
 * replaces; a new image, or a machine found off or not ready, updates in
 * place; credentials and settings are stored only), and create / update /
 * read / delete as BMC requests, including a failed task's messages in
 * the engine's error and a machine that never gets ready recorded as
 * created-but-failed (with its id and outputs) for the next up to boot again.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile, appendFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { redfishMachineProvider as provider } from "../../../../components/pulumi/redfish/redfish-machine-provider";
import {
  machineDiff,
  normaliseInputs,
  type RedfishMachineInputs,
  type RedfishMachineOutputs,
} from "../../../../components/pulumi/redfish/redfish-machine-inputs";
import { UNKNOWN } from "../../../../components/pulumi/dynamic/unknowns";
import { startFakeBmc, type FakeBmc } from "../../../helpers/fake-redfish-bmc";

const PASSWORD = "hunter2-but-longer";
let bmc: FakeBmc;
let dir: string;

before(async () => {
  bmc = await startFakeBmc({ username: "admin", password: PASSWORD });
  dir = await mkdtemp(path.join(os.tmpdir(), "lk-rf-provider-"));
});
after(async () => {
  await bmc.close();
  await rm(dir, { recursive: true, force: true });
});

const inputs = (more: Partial<RedfishMachineInputs> = {}): RedfishMachineInputs =>
  normaliseInputs({
    endpoint: bmc.endpoint,
    username: "admin",
    password: PASSWORD,
    isoUrl: "http://images.example/v1.iso",
    powerTimeoutSeconds: 5,
    ...more,
  });

const changesSince = (from: number): string[] =>
  bmc.requests
    .slice(from)
    .filter((r) => r.method !== "GET" && !r.path.includes("SessionService"))
    .map((r) => `${r.method} ${r.path}`);

describe("RedfishMachine inputs", () => {
  it("check names each problem without quoting the password", async () => {
    const r = await provider.check(
      {},
      {
        endpoint: "bmc.example",
        username: "",
        password: "",
        bootMethod: "floppy" as "pxe",
        restartType: "PowerCycle" as "ForceRestart",
        readiness: { consolePattern: "(", tcpPort: 80 },
      },
    );
    const reasons = (r.failures ?? []).map((f) => `${f.property}: ${f.reason}`);
    assert.deepEqual(reasons, [
      `endpoint: endpoint must be the BMC's https://<host>[:port], got "bmc.example"`,
      "username: username is required",
      "password: password is required (a secret: pulumi.secret(...) or `pulumi config set --secret`)",
      'bootMethod: bootMethod must be one of virtualMedia, http, pxe, got "floppy"',
      "restartType: restartType must be ForceRestart or GracefulRestart",
      'readiness: readiness.consolePattern "(" is not a valid regular expression: Invalid regular expression: /(/: Unterminated group',
      "readiness: readiness.consolePattern needs readiness.consoleLog, the file this host reads the console from",
      "readiness: readiness.host is needed to check tcpPort",
    ]);
    const ok = await provider.check({}, { ...inputs(), password: "x".repeat(20) });
    assert.equal(ok.failures, undefined);
    const vm = await provider.check({}, { ...inputs(), isoUrl: undefined });
    assert.match(JSON.stringify(vm.failures), /bootMethod virtualMedia needs isoUrl/);
    const unknown = await provider.check({}, { ...inputs(), isoUrl: UNKNOWN, endpoint: UNKNOWN });
    assert.equal(unknown.failures, undefined, "unknowns during preview are not failures");
  });

  it("diff: another machine replaces; a new image updates in place; credentials are stored only", () => {
    const olds: RedfishMachineOutputs = {
      ...inputs(),
      systemPath: "/redfish/v1/Systems/1",
      powerState: "On",
      ready: true,
    };
    assert.deepEqual(machineDiff(olds, inputs()), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: true,
    });
    assert.deepEqual(machineDiff(olds, inputs({ systemId: "2" })).replaces, ["systemId"]);
    assert.deepEqual(machineDiff(olds, inputs({ endpoint: "https://other" })).replaces, [
      "endpoint",
    ]);
    for (const more of [
      { isoUrl: "http://images.example/v2.iso" },
      { imageHash: "abc" },
      { bootMode: "UEFI" as const },
    ]) {
      const d = machineDiff(olds, inputs(more));
      assert.deepEqual([d.changes, d.replaces], [true, []], JSON.stringify(more));
    }
    assert.deepEqual(machineDiff(olds, inputs({ password: "new" })).replaces, []);
    assert.equal(
      machineDiff({ ...olds, powerState: "Off" }, inputs()).changes,
      true,
      "found off: boot again",
    );
    assert.equal(
      machineDiff({ ...olds, ready: false }, inputs()).changes,
      true,
      "not ready: boot again",
    );
  });
});

describe("RedfishMachine provider", () => {
  let id = "";
  let outs: RedfishMachineOutputs;

  it("create: power off, insert, boot once from Cd, power on; the id names endpoint and system", async () => {
    const from = bmc.requests.length;
    const r = await provider.create(inputs());
    id = r.id;
    outs = r.outs;
    assert.equal(id, `${bmc.endpoint}/redfish/v1/Systems/1`);
    assert.deepEqual(changesSince(from), [
      "POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
      "POST /redfish/v1/Systems/1/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia",
      "PATCH /redfish/v1/Systems/1",
      "POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
    ]);
    assert.equal(outs.powerState, "On");
    assert.equal(outs.ready, true);
    assert.equal(
      outs.password,
      PASSWORD,
      "kept for refresh and destroy (the resource marks it secret)",
    );
    assert.deepEqual(bmc.openSessions(), []);
  });

  it("update: only stored settings change: no BMC request", async () => {
    const from = bmc.requests.length;
    const r = await provider.update(id, outs, inputs({ leaveRunningOnDelete: true }));
    assert.deepEqual(bmc.requests.slice(from), []);
    assert.equal(r.outs.leaveRunningOnDelete, true);
  });

  it("update: a new image is eject, insert, override, restart", async () => {
    const from = bmc.requests.length;
    const r = await provider.update(id, outs, inputs({ isoUrl: "http://images.example/v2.iso" }));
    assert.deepEqual(changesSince(from), [
      "POST /redfish/v1/Systems/1/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia",
      "POST /redfish/v1/Systems/1/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia",
      "PATCH /redfish/v1/Systems/1",
      "POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
    ]);
    outs = r.outs;
    assert.equal(bmc.systems.get("1")!.image, "http://images.example/v2.iso");
  });

  it("update: moving to HTTP boot ejects the old ISO and keeps no isoUrl (no diff on the next up)", async () => {
    const from = bmc.requests.length;
    const http = normaliseInputs({
      ...inputs(),
      isoUrl: undefined,
      bootMethod: "http",
      bootUrl: "http://images.example/v2-efi.iso",
    });
    const r = await provider.update(id, outs, http);
    assert.deepEqual(changesSince(from), [
      "POST /redfish/v1/Systems/1/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia",
      "PATCH /redfish/v1/Systems/1",
      "POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
    ]);
    assert.equal(bmc.systems.get("1")!.image, "", "ejected");
    assert.equal(r.outs.isoUrl, undefined);
    assert.equal(machineDiff(r.outs, http).changes, false);
    // back to virtual media for the tests below
    outs = (await provider.update(id, r.outs, inputs({ isoUrl: "http://images.example/v2.iso" })))
      .outs;
  });

  it("read: shows a machine powered off, and one that is gone", async () => {
    bmc.systems.get("1")!.power = "Off";
    const r = await provider.read(id, outs);
    assert.equal((r.props as RedfishMachineOutputs).powerState, "Off");
    const gone = await provider.read(id, { ...outs, systemPath: "/redfish/v1/Systems/9" });
    assert.deepEqual(gone, {});
    bmc.systems.get("1")!.power = "On";
  });

  it("delete: powers off and ejects; with leaveRunningOnDelete it only ejects", async () => {
    let from = bmc.requests.length;
    await provider.delete(id, { ...outs, leaveRunningOnDelete: true });
    assert.deepEqual(changesSince(from), [
      "POST /redfish/v1/Systems/1/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia",
    ]);
    assert.equal(bmc.systems.get("1")!.power, "On");
    from = bmc.requests.length;
    await provider.delete(id, outs);
    assert.deepEqual(changesSince(from), [
      "POST /redfish/v1/Systems/1/Actions/ComputerSystem.Reset",
    ]);
    assert.equal(bmc.systems.get("1")!.power, "Off");
  });

  it("a machine that does not get ready is recorded with its id and ready: false", async () => {
    const consoleLog = path.join(dir, "console.log");
    await writeFile(consoleLog, "old boot: READY\n");
    const err = (await provider
      .create(inputs({ readiness: { consoleLog, consolePattern: "READY", timeoutSeconds: 1.5 } }))
      .then(
        () => assert.fail("create succeeded"),
        (e: unknown) => e,
      )) as Error & { id?: string; properties?: RedfishMachineOutputs };
    assert.equal(err.id, `${bmc.endpoint}/redfish/v1/Systems/1`);
    assert.equal(err.properties?.ready, false);
    assert.match(
      err.message,
      /not ready after 1\.5 s: still waiting for console pattern \/READY\//,
    );
    assert.match(err.message, /last console lines: \| old boot: READY/);
    // The line written by the boot itself counts.
    setTimeout(() => void appendFile(consoleLog, "new boot: READY\n"), 300);
    const ok = await provider.create(
      inputs({ readiness: { consoleLog, consolePattern: "READY", timeoutSeconds: 10 } }),
    );
    assert.equal(ok.outs.ready, true);
  });
});

describe("RedfishMachine provider with a BMC task that fails", () => {
  it("puts the task's messages in the error", async () => {
    const failing = await startFakeBmc({
      username: "admin",
      password: PASSWORD,
      insertTask: "fail",
      taskPolls: 1,
    });
    try {
      const err = await provider.create(inputs({ endpoint: failing.endpoint })).then(
        () => assert.fail("create succeeded"),
        (e: Error) => e,
      );
      assert.match(
        err.message,
        new RegExp(
          `^booting http://images\\.example/v1\\.iso on ${failing.endpoint.replace(/[.]/g, "\\.")}: inserting virtual media into /redfish/v1/Systems/1/VirtualMedia/Cd: Redfish task /redfish/v1/TaskService/Tasks/\\d+ on ${failing.endpoint.replace(/[.]/g, "\\.")} ended Exception \\(Critical\\): Base\\.1\\.8\\.ResourceAtUriUnauthorized`,
        ),
      );
      assert.ok(!err.message.includes(PASSWORD));
      assert.deepEqual(failing.openSessions(), []);
    } finally {
      await failing.close();
    }
  });
});

/**
 * RedfishFleet under the real Pulumi engine against sushy-tools over
 * libvirt (TCG machines, port 80 of each forwarded to loopback), booting
 * the web image's iso-bios by virtual media:
 *
 * - create boots every machine (maxUnavailable = size: all at once);
 * - a new image rolls the fleet in place with maxUnavailable 1 while a
 *   probe polls every machine every 200 ms: never fewer than size - 1
 *   machines answer, each machine gets exactly one eject, one insert, one
 *   boot override and one restart, and all end on the new image;
 * - a broken image (its web service never listens) stops the rollout at
 *   the first machine, naming it; the others keep serving the previous
 *   image, and the state records the failed slot;
 * - destroy powers every machine off.
 *
 * REDFISH_FLEET_SIZE sets the number of machines (default 3).
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";

import { RedfishFleet } from "../../components/pulumi/redfish/redfish-fleet";
import { askAll, FleetProbe } from "../helpers/fleet-web";
import { pulumiCommand, pulumiEnv } from "../helpers/pulumi-env";
import { domainState } from "../helpers/redfish-emulator";
import { startRedfishLab, type RedfishLab } from "../helpers/redfish-lab";

const SIZE = Number(process.env.REDFISH_FLEET_SIZE ?? 3);
let lab: RedfishLab;
let stack: Stack;
const out: string[] = [];
const io = {
  onOutput: (l: string): void => {
    if (process.env.SHOW_ENGINE_OUTPUT) process.stderr.write(l);
    out.push(l);
  },
};
const want = { iso: "", maxUnavailable: SIZE, timeoutSeconds: 240 };

async function program(): Promise<Record<string, unknown>> {
  const fleet = new RedfishFleet("web", {
    machines: lab.domains.map((d) => ({
      endpoint: lab.sushy.endpoint,
      systemId: d.uuid,
      readiness: { host: "127.0.0.1", tcpPort: d.httpPort, consoleLog: d.consoleLog },
    })),
    username: lab.sushy.username,
    password: lab.sushy.password,
    isoUrl: want.iso,
    readiness: {
      httpPath: "/cgi-bin/id",
      consolePattern: "httpd listening",
      timeoutSeconds: want.timeoutSeconds,
    },
    maxUnavailable: want.maxUnavailable,
    powerTimeoutSeconds: 60,
  });
  return { status: fleet.status, machineStates: fleet.machineStates };
}

const ports = (): number[] => lab.domains.map((d) => d.httpPort);

/**
 * When each machine was out of service during a rollout, as the probe saw
 * it: from its last answer from the old boot to its first answer from the
 * new one (an over-estimate: the real outage lies inside). Round trips
 * under TCG on a loaded machine take seconds, so counting machines that
 * answered within the last second (FleetProbe.min) undercounts; outage
 * windows do not depend on how long an answer took.
 */
function outages(
  probe: FleetProbe,
  before: string[],
): { port: number; from: number; to: number }[] {
  return ports().map((port, i) => {
    const mine = probe.answers.filter((a) => a.port === port);
    const old = mine.filter((a) => a.boot === before[i]).map((a) => a.at);
    const fresh = mine.filter((a) => a.boot !== before[i]).map((a) => a.at);
    assert.ok(fresh.length > 0, `machine on ${port} answered from its new boot during the rollout`);
    return { port, from: old.length === 0 ? 0 : Math.max(...old), to: Math.min(...fresh) };
  });
}

/** The most outages at one instant. */
function mostAtOnce(windows: { from: number; to: number }[]): number {
  return Math.max(
    ...windows.map((w) => windows.filter((o) => o.from < w.to && w.from < o.to).length),
  );
}
const secs = (t0: number): string => ((Date.now() - t0) / 1000).toFixed(1);

/** The fleet resource's outputs as recorded (after a failed up too). */
async function fleetOutputs(): Promise<Record<string, unknown>> {
  const state = await stack.exportStack();
  const r = (
    state.deployment.resources as { type: string; outputs: Record<string, unknown> }[]
  ).find((x) => x.type === "pulumi-nodejs:dynamic/linuxkit:RedfishFleet");
  assert.ok(r, "the fleet is in the state");
  return r.outputs;
}

before(async () => {
  lab = await startRedfishLab(
    "lk-rf-fleet",
    Array.from({ length: SIZE }, () => "bios"),
  );
  want.iso = await lab.iso("v1");
  const stateDir = path.join(lab.dir, "state");
  await mkdir(stateDir, { recursive: true });
  stack = await LocalWorkspace.createOrSelectStack(
    { stackName: `rff${process.pid}`, projectName: "lk-redfish-fleet-itest", program },
    { envVars: pulumiEnv(stateDir), pulumiCommand: await pulumiCommand() },
  );
});

after(async () => {
  await stack?.destroy({ onOutput: () => undefined }).catch(() => undefined);
  await lab?.close();
});

describe(`RedfishFleet of ${SIZE} on sushy-tools + libvirt`, { concurrency: false }, () => {
  let boots: string[] = [];

  it("create boots every machine by virtual media", async () => {
    const t0 = Date.now();
    const result = await stack.up(io);
    assert.equal(result.summary.result, "succeeded");
    assert.equal(result.outputs.status?.value, "converged");
    const answers = await askAll(ports());
    assert.deepEqual(
      answers.map((a) => a?.version),
      Array(SIZE).fill("v1"),
    );
    boots = answers.map((a) => a!.boot);
    assert.equal(new Set(boots).size, SIZE, "distinct machines");
    process.stderr.write(`# create of ${SIZE}: ${secs(t0)} s\n`);
  });

  it("a new image rolls in place, one machine at a time, never fewer than size - 1 serving", async () => {
    want.iso = await lab.iso("v2");
    want.maxUnavailable = 1;
    const from = lab.sushy.requests().length;
    const probe = new FleetProbe(ports()).start();
    const t0 = Date.now();
    let result;
    try {
      result = await stack.up(io);
      await probe.untilNewBoots(boots);
    } finally {
      await probe.stop();
    }
    assert.equal(result.summary.result, "succeeded");
    assert.equal(result.outputs.status?.value, "converged");
    assert.ok(probe.samples.length > 20, `probed throughout (${probe.samples.length} samples)`);
    const windows = outages(probe, boots);
    assert.ok(
      mostAtOnce(windows) <= 1,
      `at most 1 machine out of service at a time (so at least ${SIZE - 1} serving): ${JSON.stringify(windows)}`,
    );
    const answers = await askAll(ports());
    assert.deepEqual(
      answers.map((a) => a?.version),
      Array(SIZE).fill("v2"),
    );
    answers.forEach((a, i) => assert.notEqual(a!.boot, boots[i], `machine ${i} booted again`));
    const changes = lab.sushy
      .requests()
      .slice(from)
      .filter((r) => !r.startsWith("GET "));
    for (const d of lab.domains) {
      const mine = changes
        .filter((r) => r.includes(d.uuid))
        .map((r) => r.replace(`/redfish/v1/Systems/${d.uuid}`, "<s>"));
      assert.deepEqual(mine, [
        "POST <s>/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia 204",
        "POST <s>/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia 204",
        "PATCH <s> 204",
        "POST <s>/Actions/ComputerSystem.Reset 204",
      ]);
    }
    process.stderr.write(
      `# roll of ${SIZE} (maxUnavailable 1): ${secs(t0)} s; outages (ms since the probe started) ${JSON.stringify(windows)}; fewest answering within 1 s: ${probe.min()}\n`,
    );
  });

  it("a broken image stops the rollout at the first machine, naming it; the others keep serving", async () => {
    want.iso = await lab.iso("v3", { broken: true });
    want.timeoutSeconds = 45;
    const t0 = Date.now();
    const err = await stack.up(io).then(
      () => assert.fail("the rollout of a broken image succeeded"),
      (e: Error) => e,
    );
    const first = lab.domains[0]!;
    const name = `web-0 (${lab.sushy.endpoint}/redfish/v1/Systems/${first.uuid})`;
    assert.ok(
      err.message.includes(`rollout stopped: machine ${name} (slot 0`),
      err.message.slice(0, 3000),
    );
    assert.match(
      err.message,
      /not ready after 45 s: still waiting for console pattern \/httpd listening\/.* and HTTP \/cgi-bin\/id on 127\.0\.0\.1:\d+/,
    );
    // The console's tail is in the error (how far the boot got in 45 s depends on the host's load).
    assert.match(
      err.message,
      /Last console lines:\n {2,}\| \S/,
      "the console's last lines are in the error",
    );
    const answers = await askAll(ports());
    assert.equal(answers[0], undefined, "the broken machine does not serve");
    assert.deepEqual(
      answers.slice(1).map((a) => a?.version),
      Array(SIZE - 1).fill("v2"),
      "the others keep the previous image",
    );
    const outs = await fleetOutputs();
    assert.equal(outs.status, "partial");
    const states = outs.machineStates as { slot: number; health: string }[];
    assert.deepEqual(
      states.map((s) => s.health),
      ["unhealthy", ...Array(SIZE - 1).fill("healthy")],
    );
    process.stderr.write(`# broken image halted after ${secs(t0)} s\n`);
  });

  it("destroy powers every machine off", async () => {
    const result = await stack.destroy(io);
    assert.equal(result.summary.result, "succeeded");
    for (const d of lab.domains) assert.equal(await domainState(d.name), "shut off");
  });
});

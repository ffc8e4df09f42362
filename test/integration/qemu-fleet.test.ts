/**
 * QemuFleet under the real Pulumi engine and real qemu (TCG): a fleet of 3
 * serving HTTP rolls to a new image while a probe polls every port of the
 * fleet every 200 ms, never seeing fewer than size - maxUnavailable
 * machines answer (told apart by their boot id; a machine answers in a
 * sample when it answered within the last second); a broken image stops the rollout naming the machine,
 * leaving the others serving and the partial state recorded; a good image
 * then completes it in place (maxSurge 0, maxUnavailable 1); size changes
 * add and remove machines without touching the others; a killed machine is
 * noticed by refresh and replaced by up; destroy leaves nothing behind.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { Stack } from "@pulumi/pulumi/automation";

import { processStartTime } from "../../components/qemu/process-identity";
import { qemuPidsMentioning } from "../helpers/boot";
import { askAll, FleetProbe, freePortRange, webYaml } from "../helpers/fleet-web";
import { repoRoot } from "../helpers/paths";
import { folderStack } from "../helpers/pulumi-env";

const PROGRAM = path.join(repoRoot, "test", "fixtures", "pulumi", "qemu-fleet");
const STACK = `fleet${process.pid}`;

interface Machine {
  slot: number;
  imageHash: string | null;
  pid: number | null;
  ports: number[];
  health: string;
  readySeconds: number | null;
}

let work: string;
let stack: Stack;
let base: number;
let singleBoot: number[] = [];

const ignore = (): void => undefined;
const slotPorts = (n: number): number[] => Array.from({ length: n }, (_, i) => base + i);

/**
 * The QemuFleet resource's outputs as the engine recorded them (after a
 * failed up the stack outputs are gone, the resource's state is not).
 */
async function outputs(): Promise<{
  machines: Machine[];
  imageHash: string;
  status: string;
  fleetDir: string;
}> {
  const state = await stack.exportStack();
  const resources = state.deployment.resources as {
    type: string;
    outputs: Record<string, unknown>;
  }[];
  const fleet = resources.find((r) => r.type.endsWith("linuxkit:QemuFleet"))!.outputs;
  return {
    machines: fleet.machines as Machine[],
    imageHash: fleet.imageHash as string,
    status: fleet.status as string,
    fleetDir: fleet.fleetDir as string,
  };
}

async function useImage(version: string, broken = false): Promise<void> {
  const file = path.join(work, `${version}.yml`);
  await writeFile(file, webYaml(version, broken));
  await stack.setConfig("yamlFile", { value: file });
}

async function versions(n: number): Promise<(string | undefined)[]> {
  return (await askAll(slotPorts(n))).map((a) => a?.version);
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-fleet-itest-"));
  base = await freePortRange(6);
  stack = await folderStack(PROGRAM, STACK, path.join(work, "state"));
  await stack.setAllConfig({
    workDir: { value: work },
    size: { value: "3" },
    hostPortBase: { value: String(base) },
    healthTimeout: { value: "180" },
  });
  await useImage("v1");
});

after(async () => {
  await stack?.destroy({ onOutput: ignore }).catch(() => undefined);
  await stack?.workspace.removeStack(STACK).catch(() => undefined);
  await rm(path.join(PROGRAM, `Pulumi.${STACK}.yaml`), { force: true });
  await rm(work, { recursive: true, force: true });
});

describe("QemuFleet under pulumi up/refresh/destroy", { concurrency: false }, () => {
  it("up creates a fleet of 3, each machine healthy and serving on its slot's port", async () => {
    const result = await stack.up({ onOutput: ignore });
    assert.equal(result.summary.result, "succeeded");
    const o = await outputs();
    assert.equal(o.status, "converged");
    assert.deepEqual(
      o.machines.map((m) => [m.slot, m.imageHash, m.health, m.ports]),
      [0, 1, 2].map((i) => [i, o.imageHash, "healthy", [base + i]]),
    );
    assert.deepEqual(await versions(3), ["v1", "v1", "v1"]);
    singleBoot = o.machines.map((m) => m.readySeconds!);
    console.log(`# one machine, boot + health: ${singleBoot.join(" s, ")} s`);
  });

  it("rolling to v2 (maxSurge 1, maxUnavailable 0): never fewer than 3 machines answer; all end on v2", async () => {
    const before = await outputs();
    await useImage("v2");
    const probe = new FleetProbe(slotPorts(4)).start();
    const t0 = Date.now();
    const fleetStep: number[] = [];
    const result = await stack.up({
      onOutput: ignore,
      onEvent: (e) => {
        const urn = e.resourcePreEvent?.metadata.urn ?? e.resOutputsEvent?.metadata.urn;
        if (urn?.endsWith("QemuFleet::web")) fleetStep.push(Date.now());
      },
    });
    const seconds = (Date.now() - t0) / 1000;
    const fleetSeconds = ((fleetStep[1] ?? NaN) - (fleetStep[0] ?? NaN)) / 1000;
    const samples = await probe.stop();
    assert.equal(result.summary.result, "succeeded");
    assert.equal(
      result.summary.resourceChanges?.update,
      1,
      JSON.stringify(result.summary.resourceChanges),
    );
    assert.ok(samples.length > 50, `${samples.length} samples`);
    assert.ok(
      probe.min() >= 3,
      `a sample saw ${probe.min()} machines answering: ${probe.aroundMin()}`,
    );
    const o = await outputs();
    assert.notEqual(o.imageHash, before.imageHash);
    assert.deepEqual(
      o.machines.map((m) => [m.imageHash, m.health]),
      [0, 1, 2].map(() => [o.imageHash, "healthy"]),
    );
    assert.deepEqual(await versions(3), ["v2", "v2", "v2"]);
    const boots = new Set((await askAll(slotPorts(3))).map((a) => a?.boot));
    assert.equal(boots.size, 3, "three distinct machines");
    for (const m of before.machines)
      assert.equal(processStartTime(m.pid!), undefined, `old pid ${m.pid} gone`);
    assert.deepEqual(
      qemuPidsMentioning(o.fleetDir).sort(),
      o.machines.map((m) => m.pid).sort(),
      "only the new machines run",
    );
    const one = singleBoot.reduce((a, b) => a + b, 0) / singleBoot.length;
    const newBoots = o.machines.map((m) => m.readySeconds!);
    console.log(
      `# rollout of 3: ${fleetSeconds.toFixed(1)} s (the QemuFleet update; whole pulumi up with the image build ${seconds.toFixed(1)} s); ` +
        `3 x (boot + health) of one machine: ${(3 * one).toFixed(1)} s; ` +
        `surge machines ready after ${newBoots.join(" s, ")} s; probe: ${samples.length} samples, min ${probe.min()} machines, ` +
        `max ${Math.max(...samples.map((s) => s.machines))}; longest silence per slot port (ms): ${slotPorts(
          3,
        )
          .map((p) => probe.longestSilence(p))
          .join(", ")}`,
    );
  });

  it("a broken image (maxSurge 0, maxUnavailable 1) stops at the first machine; two slots keep serving v2", async () => {
    const before = await outputs();
    await stack.setAllConfig({
      maxSurge: { value: "0" },
      maxUnavailable: { value: "1" },
      healthTimeout: { value: "60" },
    });
    await useImage("v3", true);
    const probe = new FleetProbe(slotPorts(3)).start();
    const err = await stack.up({ onOutput: ignore }).then(
      () => undefined,
      (e: Error) => e,
    );
    await probe.stop();
    assert.ok(err, "up failed");
    // The Pulumi engine shows the reasons of the failed resource: the whole rollout error.
    assert.match(err.message, /QemuFleet \(web\):\n\s+error: .*\n\s+\* rollout stopped/);
    assert.match(
      err.message,
      /rollout stopped: machine web\/s0-[0-9a-f]{12} \(pid \d+, 127\.0\.0\.1:\d+\) \(slot 0/,
    );
    assert.match(err.message, /HTTP \/ on guest port 80/);
    assert.match(err.message, /Last console lines:[\s\S]*web: broken on purpose/);
    assert.ok(
      probe.min() >= 2,
      `a sample saw ${probe.min()} machines answering: ${probe.aroundMin()}`,
    );
    assert.deepEqual(await versions(3), [undefined, "v2", "v2"]);
    const o = await outputs();
    const v2 = before.imageHash;
    assert.equal(o.status, "partial");
    assert.deepEqual(
      o.machines.map((m) => [m.slot, m.imageHash, m.health]),
      [
        [0, null, "missing"],
        [1, v2, "healthy"],
        [2, v2, "healthy"],
      ],
      "state records slot 0 empty and slots 1, 2 on v2",
    );
    assert.equal(o.machines[1]!.pid, before.machines[1]!.pid);
    const journal = JSON.parse(await readFile(path.join(o.fleetDir, "fleet.json"), "utf8"));
    assert.deepEqual(
      journal.slots.map((s: { slot: number }) => s.slot),
      [1, 2],
    );
  });

  it("the next up with a good image completes the rollout in place, never fewer than 2 answering", async () => {
    await stack.setConfig("healthTimeout", { value: "180" });
    await useImage("v4");
    const probe = new FleetProbe(slotPorts(3)).start();
    const result = await stack.up({ onOutput: ignore });
    await probe.stop();
    assert.equal(result.summary.result, "succeeded");
    assert.ok(
      probe.min() >= 2,
      `a sample saw ${probe.min()} machines answering: ${probe.aroundMin()}`,
    );
    const o = await outputs();
    assert.equal(o.status, "converged");
    assert.deepEqual(await versions(3), ["v4", "v4", "v4"]);
    assert.deepEqual(
      o.machines.map((m) => m.ports),
      [[base], [base + 1], [base + 2]],
    );
  });

  it("changing size removes and adds machines without touching the others", async () => {
    const before = await outputs();
    await stack.setConfig("size", { value: "2" });
    await stack.up({ onOutput: ignore });
    let o = await outputs();
    assert.deepEqual(
      o.machines.map((m) => m.pid),
      before.machines.slice(0, 2).map((m) => m.pid),
    );
    assert.equal(processStartTime(before.machines[2]!.pid!), undefined, "slot 2's machine stopped");
    assert.deepEqual(await versions(3), ["v4", "v4", undefined]);
    await stack.setConfig("size", { value: "3" });
    await stack.up({ onOutput: ignore });
    o = await outputs();
    assert.deepEqual(
      o.machines.slice(0, 2).map((m) => m.pid),
      before.machines.slice(0, 2).map((m) => m.pid),
    );
    assert.notEqual(o.machines[2]!.pid, before.machines[2]!.pid);
    assert.deepEqual(await versions(3), ["v4", "v4", "v4"]);
  });

  it("a killed machine is noticed by refresh and replaced by up; the others are left alone", async () => {
    const before = await outputs();
    const victim = before.machines[1]!.pid!;
    process.kill(victim, "SIGKILL");
    for (let i = 0; i < 50 && processStartTime(victim) !== undefined; i++)
      await new Promise((r) => setTimeout(r, 100));
    await stack.refresh({ onOutput: ignore });
    let o = await outputs();
    assert.deepEqual(
      o.machines.map((m) => m.health),
      ["healthy", "dead", "healthy"],
    );
    assert.equal(o.status, "partial");
    const result = await stack.up({ onOutput: ignore });
    assert.equal(
      result.summary.resourceChanges?.update,
      1,
      JSON.stringify(result.summary.resourceChanges),
    );
    o = await outputs();
    assert.deepEqual(
      o.machines.map((m) => m.health),
      ["healthy", "healthy", "healthy"],
    );
    assert.equal(o.machines[0]!.pid, before.machines[0]!.pid);
    assert.equal(o.machines[2]!.pid, before.machines[2]!.pid);
    assert.notEqual(o.machines[1]!.pid, victim);
    assert.deepEqual(await versions(3), ["v4", "v4", "v4"]);
  });

  it("destroy stops every machine and leaves no process or folder", async () => {
    const before = await outputs();
    await stack.destroy({ onOutput: ignore });
    for (const m of before.machines) assert.equal(processStartTime(m.pid!), undefined);
    assert.deepEqual(qemuPidsMentioning(work), []);
    assert.equal(existsSync(path.join(work, "fleets")), false, "no fleet folder");
  });
});

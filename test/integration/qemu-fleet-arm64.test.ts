/**
 * An arm64 QemuFleet under the real Pulumi engine (Automation API, local
 * file backend): the Image built with `arch: arm64` from the arm64
 * stand-ins (`:test-arm64`, Debian's arm64 packages), two machines under
 * qemu-system-aarch64 (virt, TCG) serving HTTP through their forwarded
 * ports, health-gated on `GET /`. A new image rolls the fleet (maxSurge 2,
 * maxUnavailable 0: both new machines boot side by side, each must pass
 * its health check before an old one stops) while a probe polls every
 * port: at no moment fewer than 2 machines answer, and both end on the new
 * version from new boots. The same program as the amd64 fleet test
 * (qemu-fleet.test.ts, which covers the one-at-a-time order), with `arch`,
 * `memoryMiB` and the surge set; one roll only: every aarch64 TCG boot
 * costs tens of seconds.
 *
 * A mixed YAML (the amd64-only `linuxkit-test/init:test` in the arm64
 * Image) fails `pulumi preview` naming the image, its field and both
 * platforms: before the first up (a create: Pulumi runs the Image's check)
 * and with the fleet up (an update: its diff); nothing is built or changed.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { Stack } from "@pulumi/pulumi/automation";

import { processStartTime } from "../../components/qemu/process-identity";
import { ensureTestImages, qemuPidsMentioning } from "../helpers/boot";
import { askAll, FleetProbe, freePortRange, webYaml } from "../helpers/fleet-web";
import { repoRoot } from "../helpers/paths";
import { folderStack } from "../helpers/pulumi-env";

const PROGRAM = path.join(repoRoot, "test", "fixtures", "pulumi", "qemu-fleet");
const STACK = `fleetarm${process.pid}`;
const SIZE = 2;
const SURGE = 2;
const REFUSAL = /init\[0\]: image linuxkit-test\/init:test is for linux\/amd64, not linux\/arm64/;

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

const ignore = (): void => undefined;
const slotPorts = (n: number): number[] => Array.from({ length: n }, (_, i) => base + i);

/** The QemuFleet resource's outputs as the engine recorded them. */
async function outputs(): Promise<{ machines: Machine[]; imageHash: string; fleetDir: string }> {
  const state = await stack.exportStack();
  const resources = state.deployment.resources as {
    type: string;
    outputs: Record<string, unknown>;
  }[];
  const fleet = resources.find((r) => r.type.endsWith("linuxkit:QemuFleet"))!.outputs;
  return {
    machines: fleet.machines as Machine[],
    imageHash: fleet.imageHash as string,
    fleetDir: fleet.fleetDir as string,
  };
}

async function useImage(version: string, mixed = false): Promise<void> {
  const file = path.join(work, `${version}${mixed ? "-mixed" : ""}.yml`);
  const yaml = webYaml(version, false, "arm64");
  await writeFile(
    file,
    mixed ? yaml.replace("linuxkit-test/init:test-arm64", "linuxkit-test/init:test") : yaml,
  );
  await stack.setConfig("yamlFile", { value: file });
}

/** A preview of the mixed YAML fails naming the amd64 image; returns its output. */
async function previewMixed(): Promise<string> {
  await useImage("mixed", true);
  let out = "";
  await assert.rejects(stack.preview({ onOutput: (l) => (out += l) }));
  assert.match(out, REFUSAL, out);
  return out;
}

/** The program a machine's process runs (from its command line). */
function qemuBinaryOf(pid: number): string {
  return path.basename(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "");
}

before(async () => {
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-fleet-arm64-"));
  base = await freePortRange(SIZE + SURGE);
  stack = await folderStack(PROGRAM, STACK, path.join(work, "state"));
  await stack.setAllConfig({
    workDir: { value: work },
    size: { value: String(SIZE) },
    hostPortBase: { value: String(base) },
    healthTimeout: { value: "300" },
    arch: { value: "arm64" },
    memoryMiB: { value: "512" },
    maxSurge: { value: String(SURGE) },
  });
});

after(async () => {
  await stack?.destroy({ onOutput: ignore }).catch(() => undefined);
  await stack?.workspace.removeStack(STACK).catch(() => undefined);
  await rm(path.join(PROGRAM, `Pulumi.${STACK}.yaml`), { force: true });
  await rm(work, { recursive: true, force: true });
});

describe("an arm64 QemuFleet of 2 under pulumi preview/up/destroy", { concurrency: false }, () => {
  it("a mixed YAML fails the preview of the new stack naming the amd64 image; nothing is built", async () => {
    await previewMixed();
    assert.equal(existsSync(path.join(work, "images")), false, "nothing was built");
    assert.equal(existsSync(path.join(work, "fleets")), false, "no machine started");
  });

  it("up creates 2 aarch64 machines, each healthy and serving on its slot's port", async (t) => {
    await useImage("v1");
    const t0 = Date.now();
    const result = await stack.up({ onOutput: ignore });
    assert.equal(result.summary.result, "succeeded");
    const o = await outputs();
    assert.deepEqual(
      o.machines.map((m) => [m.slot, m.imageHash, m.health, m.ports]),
      [0, 1].map((i) => [i, o.imageHash, "healthy", [base + i]]),
    );
    for (const m of o.machines) assert.equal(qemuBinaryOf(m.pid!), "qemu-system-aarch64");
    assert.deepEqual(
      (await askAll(slotPorts(SIZE))).map((a) => a?.version),
      ["v1", "v1"],
    );
    t.diagnostic(
      `up (build + 2 boots): ${((Date.now() - t0) / 1000).toFixed(1)} s; boot + health per machine: ${o.machines
        .map((m) => m.readySeconds)
        .join(" s, ")} s`,
    );
  });

  it("rolling to v2: never fewer than 2 machines answer; both end on v2 from new boots", async (t) => {
    const before = await outputs();
    const oldBoots = (await askAll(slotPorts(SIZE))).map((a) => a?.boot ?? "");
    await useImage("v2");
    // A machine counts as answering when it answered within the last 3 s (the
    // amd64 test: 1 s): one answer of an aarch64 TCG guest took over 1 s while
    // the image build shared the 2 cores, 5 s into up, before any machine stopped.
    // A stopped machine stays silent far longer than 3 s.
    const probe = new FleetProbe(slotPorts(SIZE + SURGE), 200, 3000).start();
    const t0 = Date.now();
    // a failed up must not leave the probe polling (it would keep the test process alive)
    const result = await stack.up({ onOutput: ignore }).finally(() => probe.stop());
    const seconds = (Date.now() - t0) / 1000;
    // the last machine is ready when up ends; its first answer may come a round trip later
    const settle = new FleetProbe(slotPorts(SIZE)).start();
    await settle.untilNewBoots(oldBoots, 60_000).finally(() => settle.stop());
    const samples = probe.samples;
    assert.equal(result.summary.result, "succeeded");
    assert.equal(
      result.summary.resourceChanges?.update,
      1,
      JSON.stringify(result.summary.resourceChanges),
    );
    assert.ok(samples.length > 50, `${samples.length} samples`);
    assert.ok(probe.min() >= SIZE, `a sample saw ${probe.min()} machines: ${probe.aroundMin()}`);
    const o = await outputs();
    assert.notEqual(o.imageHash, before.imageHash);
    assert.deepEqual(
      o.machines.map((m) => [m.imageHash, m.health]),
      [0, 1].map(() => [o.imageHash, "healthy"]),
    );
    const now = await askAll(slotPorts(SIZE));
    assert.deepEqual(
      now.map((a) => a?.version),
      ["v2", "v2"],
    );
    for (const [i, a] of now.entries()) assert.notEqual(a?.boot, oldBoots[i], `slot ${i} rebooted`);
    for (const m of before.machines)
      assert.equal(processStartTime(m.pid!), undefined, `old pid ${m.pid} gone`);
    t.diagnostic(
      `roll of 2 (pulumi up incl. the image build): ${seconds.toFixed(1)} s; new machines ready after ${o.machines
        .map((m) => m.readySeconds)
        .join(" s, ")} s; probe min ${probe.min()} machines over ${samples.length} samples`,
    );
  });

  it("with the fleet up, a mixed YAML fails the preview the same way; the machines are left alone", async () => {
    const before = await outputs();
    await previewMixed();
    const o = await outputs();
    assert.equal(o.imageHash, before.imageHash);
    assert.deepEqual(
      o.machines.map((m) => m.pid),
      before.machines.map((m) => m.pid),
    );
    for (const m of o.machines) assert.notEqual(processStartTime(m.pid!), undefined);
  });

  it("destroy stops every machine and leaves no process or folder", async () => {
    await stack.destroy({ onOutput: ignore });
    assert.deepEqual(qemuPidsMentioning(work), []);
    assert.equal(existsSync(path.join(work, "fleets")), false, "no fleet folder");
  });
});

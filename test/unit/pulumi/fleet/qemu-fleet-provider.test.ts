/**
 * QemuFleet's check and diff, without qemu: which inputs are refused and
 * why, what rolls the fleet, what replaces it, and that an unfinished
 * rollout is always a change (so the next `up` resumes it).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import {
  fleetDefaults,
  machineKey,
  type QemuFleetInputs,
} from "../../../../components/pulumi/fleet/qemu-fleet-inputs";
import {
  qemuFleetProvider,
  type QemuFleetOutputs,
} from "../../../../components/pulumi/fleet/qemu-fleet-provider";
import { UNKNOWN } from "../../../../components/pulumi/dynamic/unknowns";

let dir: string;
let good: Partial<QemuFleetInputs>;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "lk-fleet-check-"));
  await writeFile(path.join(dir, "kernel"), "k");
  await writeFile(path.join(dir, "initrd"), "i");
  good = {
    name: "web",
    kernel: path.join(dir, "kernel"),
    initrd: path.join(dir, "initrd"),
    cmdline: "console=ttyS0",
    imageHash: "aaa",
    size: 3,
    forwards: [{ hostPortBase: 30000, guestPort: 80 }],
    health: { httpPath: "/" },
  };
});
after(() => rm(dir, { recursive: true, force: true }));

async function reasons(news: Partial<QemuFleetInputs>): Promise<string[]> {
  const { failures } = await qemuFleetProvider.check(undefined, news);
  return failures.map((f) => `${f.property}: ${f.reason}`);
}

describe("qemuFleetProvider.check", () => {
  it("accepts a fleet and fills the defaults (surge 1, unavailable 0)", async () => {
    const { inputs, failures } = await qemuFleetProvider.check(undefined, good);
    assert.deepEqual(failures, []);
    assert.equal(inputs.maxSurge, 1);
    assert.equal(inputs.maxUnavailable, 0);
    assert.equal(inputs.stateDir, ".linuxkit/fleets");
  });

  it("refuses maxSurge and maxUnavailable both 0", async () => {
    assert.match((await reasons({ ...good, maxSurge: 0, maxUnavailable: 0 })).join(), /both 0/);
  });

  it("refuses forwards whose port ranges (size + maxSurge each) overlap", async () => {
    const r = await reasons({
      ...good,
      forwards: [
        { hostPortBase: 30000, guestPort: 80 },
        { hostPortBase: 30003, guestPort: 443 },
      ],
    });
    assert.match(
      r.join(),
      /forwards 0 and 1 share host ports: each needs size \+ maxSurge = 4 ports/,
    );
  });

  it("refuses a health port no forward reaches, and an image without kernel+initrd", async () => {
    const r = await reasons({ ...good, kernel: "", health: { tcpPort: 22 } });
    assert.ok(
      r.some((x) => /^health: .*guest port 22, which no forward reaches/.test(x)),
      r.join(),
    );
    assert.ok(
      r.some((x) => /^image: the image has no kernel/.test(x)),
      r.join(),
    );
  });

  it("refuses health settings the readiness wait would fail on, as QemuVm does", async () => {
    const r = await reasons({
      ...good,
      health: { httpPath: "/", consolePattern: "up (", timeoutSeconds: 0 },
    });
    assert.ok(
      r.some((x) =>
        /^health: health\.consolePattern "up \(" is not a valid regular expression/.test(x),
      ),
      r.join(),
    );
    assert.ok(
      r.some((x) => /^health: health\.timeoutSeconds must be a positive number/.test(x)),
      r.join(),
    );
  });

  it("leaves values not known yet (preview) unchecked", async () => {
    assert.deepEqual(await reasons({ ...good, kernel: UNKNOWN, size: UNKNOWN as never }), []);
  });
});

describe("qemuFleetProvider.diff", () => {
  const olds = (over: Partial<QemuFleetOutputs> = {}): QemuFleetOutputs => ({
    ...fleetDefaults(good),
    fleetId: "f1",
    fleetDir: "x",
    status: "converged",
    machines: [],
    fleetState: { slots: [] },
    ...over,
  });

  it("the same inputs on a converged fleet are no change", async () => {
    const d = await qemuFleetProvider.diff("f1", olds(), fleetDefaults(good));
    assert.deepEqual([d.changes, d.replaces], [false, []]);
  });

  it("a new image, size or memory is an update (a rollout), never a replacement", async () => {
    for (const change of [{ imageHash: "bbb" }, { size: 5 }, { memoryMiB: 512 }, { maxSurge: 2 }]) {
      const d = await qemuFleetProvider.diff("f1", olds(), fleetDefaults({ ...good, ...change }));
      assert.deepEqual([d.changes, d.replaces], [true, []], JSON.stringify(change));
    }
  });

  it("new forwards replace the fleet, the old one first (it holds the ports)", async () => {
    const d = await qemuFleetProvider.diff(
      "f1",
      olds(),
      fleetDefaults({ ...good, forwards: [{ hostPortBase: 31000, guestPort: 80 }] }),
    );
    assert.deepEqual([d.changes, d.replaces, d.deleteBeforeReplace], [true, ["forwards"], true]);
  });

  it("a partial rollout (or a dead machine found by refresh) is a change with the same inputs", async () => {
    const d = await qemuFleetProvider.diff("f1", olds({ status: "partial" }), fleetDefaults(good));
    assert.equal(d.changes, true);
  });

  it("machines differ only when image, command line, memory, CPUs or accelerator do", () => {
    const base = fleetDefaults(good);
    assert.equal(machineKey(base), machineKey({ ...base, size: 9, health: {} } as QemuFleetInputs));
    assert.notEqual(machineKey(base), machineKey({ ...base, cmdline: "console=ttyS0 quiet" }));
  });
});

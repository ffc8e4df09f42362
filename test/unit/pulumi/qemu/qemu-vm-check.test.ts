/**
 * QemuVm's check refuses what create would fail on, naming the input and
 * the fix; its diff replaces the VM for what it boots and only updates for
 * settings of later operations. No qemu runs here.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import {
  MAX_CPUS,
  QEMU_VM_INPUTS,
  type QemuVmInputs,
  type QemuVmOutputs,
} from "../../../../components/pulumi/qemu/qemu-vm-inputs";
import { qemuVmProvider } from "../../../../components/pulumi/qemu/qemu-vm-provider";
import { findOvmf } from "../../../../components/qemu/boot-media";

let work: string;
let kernel: string;
let initrd: string;

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-qemu-check-"));
  kernel = path.join(work, "k");
  initrd = path.join(work, "i");
  await writeFile(kernel, "kernel");
  await writeFile(initrd, "initrd");
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function failures(
  news: Partial<QemuVmInputs>,
): Promise<{ property: string; reason: string }[]> {
  const res = await qemuVmProvider.check({}, { name: "vm", kernel, initrd, ...news });
  return res.failures;
}

describe("QemuVm check", () => {
  it("accepts a plain kernel+initrd VM", async () => {
    assert.deepEqual(await failures({}), []);
  });

  it("rejects a console pattern that is not a regular expression", async () => {
    const [f, ...rest] = await failures({ readiness: { consolePattern: "boot (complete" } });
    assert.equal(rest.length, 0);
    assert.equal(f?.property, "readiness");
    assert.match(f!.reason, /consolePattern "boot \(complete" is not a valid regular expression/);
  });

  it("rejects a readiness tcpPort that no forward reaches, saying which forward to add", async () => {
    const [f] = await failures({
      forwards: [{ hostPort: 2222, guestPort: 22 }],
      readiness: { tcpPort: 80 },
    });
    assert.equal(f?.property, "readiness");
    assert.match(f!.reason, /tcpPort 80 is not forwarded .*guest ports: 22/);
    assert.match(f!.reason, /guestPort: 80/);
    assert.deepEqual(
      await failures({ forwards: [{ hostPort: 8081, guestPort: 80 }], readiness: { tcpPort: 80 } }),
      [],
    );
  });

  it("rejects a non-positive readiness timeout", async () => {
    const [f] = await failures({ readiness: { consolePattern: "x", timeoutSeconds: 0 } });
    assert.match(f!.reason, /timeoutSeconds must be a positive number/);
  });

  for (const cpus of [0, -1, 1.5, MAX_CPUS + 1]) {
    it(`rejects cpus ${cpus}`, async () => {
      const [f] = await failures({ cpus });
      assert.equal(f?.property, "cpus");
      assert.match(f!.reason, new RegExp(`from 1 to ${MAX_CPUS}`));
    });
  }

  it("accepts uefi only where OVMF is installed, else says which package gives it", async () => {
    const iso = path.join(work, "x.iso");
    await writeFile(iso, "");
    const found = await failures({ kernel: undefined, initrd: undefined, iso, uefi: true });
    if (findOvmf() === undefined) {
      assert.equal(found[0]?.property, "uefi");
      assert.match(found[0]!.reason, /apt-get install ovmf/);
    } else {
      assert.deepEqual(found, []);
    }
  });

  it("checks values only once they are known (preview)", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    assert.deepEqual(await failures({ readiness: unknown as never, cpus: unknown as never }), []);
  });
});

describe("QemuVm diff", () => {
  const olds = {
    name: "vm",
    stateDir: ".linuxkit/vms",
    kernel: "k",
    initrd: "i",
    memoryMiB: 1024,
    cpus: 1,
    accel: "tcg",
    forwards: [],
    readiness: { consolePattern: "up" },
    shutdownTimeoutSeconds: 5,
    status: "running",
  } as unknown as QemuVmOutputs;

  it("declares every input", () => {
    assert.ok(Object.keys(QEMU_VM_INPUTS).length >= 16);
  });

  it("updates for readiness and shutdown settings, replaces for what the VM boots", async () => {
    const news = { ...olds, readiness: { consolePattern: "ready" }, shutdownTimeoutSeconds: 9 };
    assert.deepEqual(await qemuVmProvider.diff("id", olds, news), {
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const more = await qemuVmProvider.diff("id", olds, { ...olds, memoryMiB: 2048 });
    assert.deepEqual(more.replaces, ["memoryMiB"]);
  });

  it("is no change at all for equal inputs", async () => {
    const same = await qemuVmProvider.diff("id", olds, { ...olds });
    assert.equal(same.changes, false);
  });
});

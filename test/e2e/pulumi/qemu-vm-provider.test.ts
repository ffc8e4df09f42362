/**
 * The QemuVm provider called directly: check reports each mistake on its
 * input; diff updates in place what only later operations use (readiness,
 * shutdown timeout), replaces on anything the running VM depends on, stops
 * the old VM first when it holds forwarded host ports, and replaces a VM
 * that never became ready; read tells a dead or recycled pid from the VM;
 * create boots a real LinuxKit image under TCG and waits for its console
 * marker, delete powers it down and removes its folder; a readiness
 * timeout records a failed-but-created VM that delete can clean up.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { imageProvider, type ImageOutputs } from "../../../components/pulumi/image/image-provider";
import type { QemuVmInputs, QemuVmOutputs } from "../../../components/pulumi/qemu/qemu-vm-inputs";
import { qemuVmProvider } from "../../../components/pulumi/qemu/qemu-vm-provider";
import { UNKNOWN } from "../../../components/pulumi/dynamic/unknowns";
import { processStartTime } from "../../../components/qemu/process-identity";
import { repoRoot } from "../../helpers/paths";

/** Boot media paths must exist for check: any existing files stand in for them. */
const EXISTING = __filename;
const EXISTING_OTHER = path.join(__dirname, "..", "..", "helpers", "paths.js");
const BOOT_MARKER = "LINUXKIT-TEST: boot complete";

let work: string;

function inputs(news: Partial<QemuVmInputs>): QemuVmInputs {
  return {
    name: "vm",
    stateDir: "/nonexistent/vms",
    memoryMiB: 512,
    cpus: 1,
    accel: "tcg",
    forwards: [],
    readiness: {},
    shutdownTimeoutSeconds: 5,
    ...news,
  };
}

/** The outputs a created VM would have, without starting one. */
function fakeOutputs(
  news: Partial<QemuVmInputs> = {},
  extra: Partial<QemuVmOutputs> = {},
): QemuVmOutputs {
  const i = inputs({ kernel: EXISTING, initrd: EXISTING, cmdline: "console=ttyS0", ...news });
  return {
    ...i,
    instanceId: "0123456789ab",
    vmDir: path.join(i.stateDir, "vm-0123456789ab"),
    pid: 1,
    startTime: 1,
    consoleLog: "/nonexistent/console.log",
    qmpSocket: "/nonexistent/qmp.sock",
    accelUsed: "tcg",
    status: "running",
    ...extra,
  };
}

async function failuresOf(
  news: Partial<QemuVmInputs>,
): Promise<{ property: string; reason: string }[]> {
  return (await qemuVmProvider.check({}, news)).failures;
}

describe("QemuVm provider check", () => {
  it("valid kernel+initrd inputs pass and get defaults", async () => {
    const res = await qemuVmProvider.check({}, { kernel: EXISTING, initrd: EXISTING });
    assert.deepEqual(res.failures, []);
    assert.equal(res.inputs.memoryMiB, 1024);
    assert.equal(res.inputs.cpus, 1);
    assert.equal(res.inputs.accel, "auto");
    assert.deepEqual(res.inputs.forwards, []);
    assert.equal(res.inputs.shutdownTimeoutSeconds, 5);
  });

  it("no boot media is a failure", async () => {
    const f = await failuresOf({});
    assert.deepEqual(
      f.map((x) => x.property),
      ["kernel"],
    );
    assert.match(f[0]!.reason, /exactly one of kernel\+initrd, iso or disk/);
  });

  it("two kinds of boot media are a failure", async () => {
    assert.deepEqual(
      (await failuresOf({ kernel: EXISTING, initrd: EXISTING, iso: EXISTING })).map(
        (x) => x.property,
      ),
      ["kernel"],
    );
  });

  it("an empty or missing boot file is a failure naming it", async () => {
    const empty = await failuresOf({ kernel: "", initrd: EXISTING });
    assert.deepEqual(
      empty.map((x) => x.property),
      ["kernel"],
    );
    assert.match(empty[0]!.reason, /kernel\+initrd format/);
    const missing = await failuresOf({ kernel: EXISTING, initrd: "/no/such/initrd.img" });
    assert.deepEqual(
      missing.map((x) => x.property),
      ["initrd"],
    );
    assert.match(missing[0]!.reason, /\/no\/such\/initrd\.img does not exist/);
  });

  it("a kernel without an initrd is a failure on initrd (and the reverse on kernel)", async () => {
    const f = await failuresOf({ kernel: EXISTING });
    assert.deepEqual(
      f.map((x) => x.property),
      ["initrd"],
    );
    assert.match(f[0]!.reason, /kernel and initrd go together/);
    assert.deepEqual(
      (await failuresOf({ initrd: EXISTING })).map((x) => x.property),
      ["kernel"],
    );
  });

  it("an unknown accelerator is a failure on accel", async () => {
    const f = await failuresOf({
      kernel: EXISTING,
      initrd: EXISTING,
      accel: "hvf" as QemuVmInputs["accel"],
    });
    assert.deepEqual(
      f.map((x) => x.property),
      ["accel"],
    );
    assert.match(f[0]!.reason, /hvf.*auto, kvm or tcg/);
  });

  it("a host port forwarded twice is a failure on forwards", async () => {
    const f = await failuresOf({
      kernel: EXISTING,
      initrd: EXISTING,
      forwards: [
        { hostPort: 18080, guestPort: 80 },
        { hostPort: 18080, guestPort: 443 },
      ],
    });
    assert.deepEqual(
      f.map((x) => x.property),
      ["forwards"],
    );
    assert.match(f[0]!.reason, /host port 18080 is forwarded twice/);
  });

  it("a port out of range is a failure on forwards", async () => {
    const f = await failuresOf({
      kernel: EXISTING,
      initrd: EXISTING,
      forwards: [{ hostPort: 70000, guestPort: 80 }],
    });
    assert.deepEqual(
      f.map((x) => x.property),
      ["forwards"],
    );
  });

  it("values not known yet (a preview) are not failures; the known ones are still checked", async () => {
    const unknown = UNKNOWN as never;
    for (const over of [
      { memoryMiB: unknown },
      { accel: unknown },
      { cpus: unknown },
      { forwards: unknown },
      { forwards: [unknown, { hostPort: 18080, guestPort: 80 }] },
      { forwards: [{ hostPort: unknown, guestPort: 80 }] },
      { kernel: unknown, initrd: unknown },
      { readiness: unknown },
    ] as Partial<QemuVmInputs>[]) {
      assert.deepEqual(
        await failuresOf({ kernel: EXISTING, initrd: EXISTING, ...over }),
        [],
        JSON.stringify(over),
      );
    }
    const mixed = await failuresOf({
      kernel: EXISTING,
      initrd: EXISTING,
      memoryMiB: unknown,
      accel: "hvf" as QemuVmInputs["accel"],
    });
    assert.deepEqual(
      mixed.map((x) => x.property),
      ["accel"],
    );
  });

  it("memory below 64 MiB (or not an integer) is a failure on memoryMiB", async () => {
    for (const memoryMiB of [32, 0, 512.5]) {
      const f = await failuresOf({ kernel: EXISTING, initrd: EXISTING, memoryMiB });
      assert.deepEqual(
        f.map((x) => x.property),
        ["memoryMiB"],
        String(memoryMiB),
      );
    }
  });
});

describe("QemuVm provider diff and update", () => {
  const news = (over: Partial<QemuVmInputs> = {}): QemuVmInputs =>
    inputs({ kernel: EXISTING, initrd: EXISTING, cmdline: "console=ttyS0", ...over });

  it("the same inputs are no change", async () => {
    assert.deepEqual(await qemuVmProvider.diff("id", fakeOutputs(), news()), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("readiness and shutdownTimeoutSeconds changes are updates in place", async () => {
    for (const over of [
      { readiness: { consolePattern: "ready", timeoutSeconds: 30 } },
      { shutdownTimeoutSeconds: 30 },
      { readiness: { tcpPort: 22 }, shutdownTimeoutSeconds: 1 },
    ]) {
      const d = await qemuVmProvider.diff(
        "id",
        fakeOutputs({ forwards: [{ hostPort: 2222, guestPort: 22 }] }),
        news({ ...over, forwards: [{ hostPort: 2222, guestPort: 22 }] }),
      );
      assert.deepEqual(
        d,
        { changes: true, replaces: [], deleteBeforeReplace: false },
        JSON.stringify(over),
      );
    }
  });

  it("update keeps the running VM's outputs and takes the new readiness and timeout", async () => {
    const olds = fakeOutputs();
    const { outs } = await qemuVmProvider.update(
      "id",
      olds,
      news({ readiness: { consolePattern: "x" }, shutdownTimeoutSeconds: 9 }),
    );
    assert.deepEqual(outs, {
      ...olds,
      readiness: { consolePattern: "x" },
      shutdownTimeoutSeconds: 9,
    });
  });

  it("kernel, memory, forwards and image hash changes replace", async () => {
    const cases: [Partial<QemuVmInputs>, string[]][] = [
      [{ kernel: EXISTING_OTHER }, ["kernel"]],
      [{ memoryMiB: 1024 }, ["memoryMiB"]],
      [{ forwards: [{ hostPort: 8080, guestPort: 80 }] }, ["forwards"]],
      [{ imageHash: "abc" }, ["imageHash"]],
      [{ cmdline: "console=ttyS0 quiet", cpus: 2 }, ["cmdline", "cpus"]],
    ];
    for (const [over, replaces] of cases) {
      const d = await qemuVmProvider.diff("id", fakeOutputs(), news(over));
      assert.equal(d.changes, true);
      assert.deepEqual(d.replaces, replaces, JSON.stringify(over));
    }
  });

  it("a replacement deletes first when the old VM holds forwarded host ports", async () => {
    const forwards = [{ hostPort: 8080, guestPort: 80 }];
    const d = await qemuVmProvider.diff(
      "id",
      fakeOutputs({ forwards }),
      news({ forwards, memoryMiB: 2048 }),
    );
    assert.deepEqual(d, { changes: true, replaces: ["memoryMiB"], deleteBeforeReplace: true });
    const noPorts = await qemuVmProvider.diff("id", fakeOutputs(), news({ memoryMiB: 2048 }));
    assert.equal(
      noPorts.deleteBeforeReplace,
      false,
      "without forwards the new VM starts before the old one stops",
    );
  });

  it("a VM that failed readiness is replaced even when nothing changed", async () => {
    const d = await qemuVmProvider.diff("id", fakeOutputs({}, { status: "failed" }), news());
    assert.deepEqual(d, { changes: true, replaces: ["status"], deleteBeforeReplace: false });
  });
});

describe("QemuVm provider read", () => {
  it("a pid that has exited is gone", async () => {
    const child = spawn("sleep", ["0.1"], { stdio: "ignore" });
    const startTime = await new Promise<number>((resolve) =>
      child.once("spawn", () => resolve(processStartTime(child.pid!)!)),
    );
    await new Promise((r) => child.once("exit", r));
    assert.deepEqual(
      await qemuVmProvider.read("id", fakeOutputs({}, { pid: child.pid!, startTime })),
      {},
    );
  });

  it("a live process is the VM only with the recorded start time (a recycled pid is gone)", async () => {
    const instanceId = "abcdefabcdef";
    // A process whose command line holds the VM's marker, as qemu's `-name` does.
    const child = spawn(
      process.execPath,
      ["-e", "setTimeout(() => {}, 30000)", `pulumi-linuxkit-${instanceId}`],
      { stdio: "ignore" },
    );
    try {
      await new Promise((r) => child.once("spawn", r));
      const startTime = processStartTime(child.pid!)!;
      const props = fakeOutputs({}, { pid: child.pid!, startTime, instanceId });
      assert.deepEqual(
        await qemuVmProvider.read("id", props),
        { id: "id", props },
        "the same process is found",
      );
      assert.deepEqual(
        await qemuVmProvider.read("id", { ...props, startTime: startTime - 1 }),
        {},
        "another start time: pid reused",
      );
      assert.deepEqual(
        await qemuVmProvider.read("id", { ...props, instanceId: "000000000000" }),
        {},
        "another VM's marker",
      );
    } finally {
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    }
  });

  it("no stored outputs is gone", async () => {
    assert.deepEqual(await qemuVmProvider.read("id"), {});
  });
});

describe("QemuVm provider create and delete of a real VM (TCG)", { concurrency: false }, () => {
  let image: { id: string; outs: ImageOutputs };
  const savedAccel = process.env.LINUXKIT_QEMU_ACCEL;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "lk-qemu-vm-provider-"));
    process.env.LINUXKIT_QEMU_ACCEL = "tcg"; // KVM guests hang on these machines
    const checked = await imageProvider.check(
      {},
      {
        configFiles: [path.join(repoRoot, "examples", "qemu-local", "linuxkit.yml")],
        name: "vmtest",
        outputDir: path.join(work, "images"),
        formats: ["kernel+initrd"],
      },
    );
    assert.deepEqual(checked.failures, []);
    image = await imageProvider.create(checked.inputs);
  });

  after(async () => {
    if (savedAccel === undefined) delete process.env.LINUXKIT_QEMU_ACCEL;
    else process.env.LINUXKIT_QEMU_ACCEL = savedAccel;
    await rm(work, { recursive: true, force: true });
  });

  const vmInputs = (over: Partial<QemuVmInputs>): QemuVmInputs =>
    inputs({
      name: "vmtest",
      stateDir: path.join(work, "vms"),
      kernel: image.outs.kernel,
      initrd: image.outs.initrd,
      cmdline: image.outs.cmdline,
      imageHash: image.outs.contentHash,
      ...over,
    });

  it("create boots and waits for the console marker; delete stops qemu and removes the VM folder", async () => {
    const { id, outs } = await qemuVmProvider.create(
      vmInputs({ readiness: { consolePattern: BOOT_MARKER, timeoutSeconds: 120 } }),
    );
    let deleted = false;
    try {
      assert.equal(id, outs.instanceId);
      assert.equal(outs.status, "running");
      assert.equal(outs.accelUsed, "tcg");
      assert.equal(processStartTime(outs.pid), outs.startTime, "qemu runs after create returned");
      assert.match(await readFile(outs.consoleLog, "utf8"), new RegExp(BOOT_MARKER));
      assert.deepEqual(await qemuVmProvider.read(id, outs), { id, props: outs });
      await qemuVmProvider.delete(id, outs);
      deleted = true;
      assert.equal(processStartTime(outs.pid), undefined, "qemu is gone");
      assert.equal(existsSync(outs.vmDir), false, "the VM folder is gone");
      assert.equal(existsSync(outs.stateDir), false, "the state folder went with its last VM");
      await qemuVmProvider.delete(id, outs); // deleting again is fine
    } finally {
      if (!deleted) await qemuVmProvider.delete(id, outs);
    }
  });

  it("a readiness timeout throws a created-but-failed VM with the console tail; delete with its properties cleans up", async () => {
    let caught:
      (Error & { id?: string; properties?: QemuVmOutputs; reasons?: string[] }) | undefined;
    try {
      await qemuVmProvider.create(
        vmInputs({
          readiness: { consolePattern: "THIS-NEVER-APPEARS", timeoutSeconds: 5 },
          shutdownTimeoutSeconds: 1,
        }),
      );
    } catch (e) {
      caught = e as typeof caught;
    }
    assert.ok(caught, "create threw");
    const props = caught.properties;
    assert.ok(props, "the error carries properties");
    try {
      assert.equal(caught.id, props.instanceId);
      assert.equal(props.status, "failed");
      assert.deepEqual(caught.reasons, [
        `not ready after 5 s: still waiting for console pattern /THIS-NEVER-APPEARS/`,
      ]);
      assert.match(caught.message, /VM vmtest not ready after 5 s/);
      assert.match(caught.message, /Last console lines \(.*console\.log\):/);
      const shown = caught.message
        .split("\n")
        .filter((l) => l.startsWith("  | "))
        .map((l) => l.slice(4));
      assert.ok(shown.length > 0, "some console lines are shown");
      const consoleText = await readFile(props.consoleLog, "utf8");
      for (const line of shown)
        assert.ok(consoleText.includes(line), `shown line is from the console: ${line}`);
      assert.equal(
        processStartTime(props.pid),
        props.startTime,
        "the failed VM is still running until deleted",
      );
    } finally {
      await qemuVmProvider.delete(caught.id!, props);
    }
    assert.equal(processStartTime(props.pid), undefined, "qemu is gone");
    assert.equal(existsSync(props.vmDir), false);
  });
});

/**
 * Fault injection for QemuVm and QemuFleet (issue 19), with real qemu
 * (TCG) and each provider operation in its own process, as the Pulumi
 * engine runs providers: the process is SIGKILLed right after qemu
 * daemonized (before anything recorded the machine) and right after each
 * kind of fleet journal write (old machine stopped, new machine started,
 * new machine healthy); a machine's QMP socket refuses connections or
 * accepts and never answers while the fleet stops it. Then the user's next
 * steps run the same way: `refresh` where there is a record, then `up`.
 * Every run must converge, leave no qemu process that no state names,
 * keep at least size − maxUnavailable machines answering a probe during
 * the recovery `up`, and keep the image's secret kernel argument out of
 * `ps`, qemu's argument file and the provider's output.
 *
 * Boots are TCG and slow: the faults are chained on one fleet (each
 * recovery is the next fault's starting point) and the VM's faults share
 * its boots.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { imageProvider, type ImageOutputs } from "../../components/pulumi/image/image-provider";
import {
  qemuFleetProvider,
  type QemuFleetOutputs,
} from "../../components/pulumi/fleet/qemu-fleet-provider";
import type { QemuFleetInputs } from "../../components/pulumi/fleet/qemu-fleet-inputs";
import { qemuVmProvider } from "../../components/pulumi/qemu/qemu-vm-provider";
import type { QemuVmInputs, QemuVmOutputs } from "../../components/pulumi/qemu/qemu-vm-inputs";
import { killQemuMentioning, qemuPidsMentioning } from "../helpers/boot";
import { FleetProbe, freePortRange, webYaml } from "../helpers/fleet-web";
import {
  describeFindings,
  findSecretIn,
  findSecretInFiles,
  processCommandLines,
  type SecretFinding,
} from "../helpers/secret-scan";
import { FaultTable, type FaultRow } from "./fault-table";
import type { ChildRequest, ChildResult } from "./provider-child";

const table = new FaultTable("qemu fault injection (real qemu, TCG; provider in a child process)");
const SECRET = `lkfault${process.pid}x${Date.now().toString(36)}`;
const CHILD = path.join(__dirname, "provider-child.js");

let work: string;
let seq = 0;
/** Everything the provider processes printed, for the secret scan. */
const childOutput: string[] = [];

/** Runs one provider operation in a child process; `killed` when it died by SIGKILL. */
async function inChild(req: ChildRequest): Promise<{ killed: boolean; result?: ChildResult }> {
  const file = path.join(work, `op-${++seq}.json`);
  await writeFile(file, JSON.stringify(req));
  const child = spawn(process.execPath, [CHILD, file], {
    cwd: work,
    env: { ...process.env, LINUXKIT_QEMU_ACCEL: "tcg" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("exit", (_code, sig) => resolve(sig)),
  );
  childOutput.push(out);
  if (signal === "SIGKILL") return { killed: true };
  const text = await readFile(`${file}.result`, "utf8").catch(() => undefined);
  assert.ok(text !== undefined, `provider child wrote no result: ${out.slice(-2000)}`);
  const result = JSON.parse(text) as ChildResult;
  await rm(`${file}.result`, { force: true });
  return { killed: false, result };
}

/** The operation's outputs; fails with the provider's message otherwise. */
function outsOf(r: { killed: boolean; result?: ChildResult }): Record<string, unknown> {
  assert.equal(r.killed, false);
  assert.ok(r.result?.ok === true, `failed: ${r.result?.ok === false ? r.result.message : ""}`);
  return r.result.outs!;
}

/** Live qemu processes of this test that `pids` does not name. */
function orphans(pids: number[]): number[] {
  return qemuPidsMentioning(work).filter((p) => !pids.includes(p));
}

/** The secret in `ps`, qemu's argument files and the providers' output. */
async function leaks(): Promise<SecretFinding[]> {
  const argFiles = (await findSecretInFiles(work, SECRET)).filter((f) =>
    f.source.endsWith("qemu.args.json"),
  );
  return [
    ...findSecretIn({ ps: await processCommandLines(), providers: childOutput.join("\n") }, SECRET),
    ...argFiles,
  ];
}

/** A QMP socket that refuses (nothing listens) or accepts and never answers. */
async function breakQmp(socket: string, how: "refuses" | "hangs"): Promise<() => void> {
  await rm(socket, { force: true });
  if (how === "refuses") {
    await writeFile(socket, ""); // a plain file: connect() is refused
    return () => undefined;
  }
  const held: net.Socket[] = [];
  const server = net.createServer((s) => void held.push(s)).listen(socket);
  await new Promise((r) => server.once("listening", r));
  return () => {
    held.forEach((s) => s.destroy());
    server.close();
  };
}

/** Builds a kernel+initrd image from YAML (a secret kernel argument added). */
async function image(name: string, yaml: string): Promise<ImageOutputs> {
  const withSecret = yaml.replace(/cmdline: "([^"]*)"/, `cmdline: "$1 lkfault.token=${SECRET}"`);
  const file = path.join(work, `${name}.yml`);
  await writeFile(file, withSecret);
  const checked = await imageProvider.check(
    {},
    { configFiles: [file], name, outputDir: path.join(work, "images"), formats: ["kernel+initrd"] },
  );
  assert.deepEqual(checked.failures ?? [], []);
  return (await imageProvider.create(checked.inputs)).outs;
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-faults-qemu-"));
});

after(async () => {
  const left = killQemuMentioning(work);
  table.print();
  await rm(work, { recursive: true, force: true });
  assert.equal(left, 0, "no qemu was left running");
});

describe("fault injection: QemuVm and QemuFleet", { concurrency: false }, () => {
  it("QemuVm: SIGKILL after qemu started, then up; QMP refusing at destroy: converged, no orphan, no leak", async () => {
    const img = await image(
      "small",
      [
        "kernel:",
        "  image: linuxkit-test/kernel:test",
        '  cmdline: "console=ttyS0"',
        "init:",
        "  - linuxkit-test/init:test",
      ].join("\n"),
    );
    const checked = await qemuVmProvider.check(
      {},
      {
        name: "vm",
        stateDir: path.join(work, "vms"),
        kernel: img.kernel,
        initrd: img.initrd,
        cmdline: img.cmdline,
        imageHash: img.contentHash,
        memoryMiB: 256,
        readiness: { consolePattern: "LINUXKIT-TEST: boot complete", timeoutSeconds: 120 },
        shutdownTimeoutSeconds: 1,
      },
    );
    const inputs = checked.inputs as QemuVmInputs;
    const kill = table.row("QemuVm", "SIGKILL after qemu started (create)");
    let outs: QemuVmOutputs | undefined;
    await table.timed(kill, async () => {
      kill.injected++;
      const r = await inChild({
        provider: "vm",
        op: "create",
        inputs: inputs as never,
        kill: { after: "qemu-start", n: 1 },
      });
      assert.equal(r.killed, true, "the provider died at the hook");
      assert.equal(qemuPidsMentioning(work).length, 1, "the killed create left its qemu running");
      // The engine recorded nothing: the next up creates again.
      outs = outsOf(
        await inChild({ provider: "vm", op: "create", inputs: inputs as never }),
      ) as unknown as QemuVmOutputs;
      kill.orphans += orphans([outs.pid]).length;
      if (outs.status === "running" && qemuPidsMentioning(work).includes(outs.pid))
        kill.converged++;
      const found = await leaks();
      kill.secrets += found.length;
      assert.equal(found.length, 0, describeFindings(found));
    });

    const qmp = table.row("QemuVm", "QMP refusing (destroy)");
    await table.timed(qmp, async () => {
      qmp.injected++;
      const restore = await breakQmp(path.resolve(work, outs!.qmpSocket), "refuses");
      try {
        const r = await inChild({
          provider: "vm",
          op: "delete",
          id: outs!.instanceId,
          olds: outs as never,
        });
        assert.equal(r.result?.ok, true, r.result?.ok === false ? r.result.message : "");
      } finally {
        restore();
      }
      qmp.orphans += orphans([]).length;
      if (qemuPidsMentioning(work).length === 0 && !existsSync(path.resolve(work, outs!.vmDir))) {
        qmp.converged++;
      }
    });
    for (const row of [kill, qmp]) assertClean(row);
  });

  it("QemuFleet: SIGKILL at each journal step and after a qemu start, QMP refusing and hanging; refresh and up: converged, no orphan, never below the floor", async () => {
    const size = 2;
    const maxUnavailable = 1;
    const floor = size - maxUnavailable;
    const v1 = await image("v1", webYaml("v1"));
    const v2 = await image("v2", webYaml("v2"));
    const base = await freePortRange(size + 1);
    const ports = Array.from({ length: size }, (_, i) => base + i);
    const inputsFor = async (img: ImageOutputs): Promise<QemuFleetInputs> =>
      (
        await qemuFleetProvider.check(
          {},
          {
            name: "web",
            stateDir: path.join(work, "fleets"),
            kernel: img.kernel,
            initrd: img.initrd,
            cmdline: img.cmdline,
            imageHash: img.contentHash,
            size,
            maxSurge: 0,
            maxUnavailable,
            memoryMiB: 256,
            forwards: [{ hostPortBase: base, guestPort: 80 }],
            health: { httpPath: "/", timeoutSeconds: 180 },
            shutdownTimeoutSeconds: 1,
          },
        )
      ).inputs;
    const images = [await inputsFor(v1), await inputsFor(v2)];
    let held: { id: string; outs: QemuFleetOutputs } | undefined;
    let next = 0;

    const pidsOf = (o: QemuFleetOutputs): number[] => o.fleetState.slots.map((s) => s.machine.pid);
    const convergedOn = (o: QemuFleetOutputs, want: QemuFleetInputs): boolean =>
      o.status === "converged" &&
      o.fleetState.slots.length === size &&
      o.fleetState.slots.every(
        (s) => s.health === "healthy" && s.machine.imageHash === want.imageHash,
      ) &&
      pidsOf(o).every((p) => qemuPidsMentioning(work).includes(p));

    /** After a fault: refresh (when recorded), then up to `want` under the probe. */
    const recover = async (row: FaultRow, want: QemuFleetInputs, faults: number): Promise<void> => {
      const probe = held === undefined ? undefined : new FleetProbe(ports).start();
      try {
        if (held === undefined) {
          const r = await inChild({ provider: "fleet", op: "create", inputs: want as never });
          held = {
            id: r.result!.ok ? r.result!.id! : "",
            outs: outsOf(r) as unknown as QemuFleetOutputs,
          };
        } else {
          const read = await inChild({
            provider: "fleet",
            op: "read",
            id: held.id,
            olds: held.outs as never,
          });
          const refreshed = outsOf(read) as unknown as QemuFleetOutputs;
          const d = await qemuFleetProvider.diff(held.id, refreshed, want);
          assert.equal(d.changes, true);
          const r = await inChild({
            provider: "fleet",
            op: "update",
            id: held.id,
            olds: refreshed as never,
            inputs: want as never,
          });
          held = { id: held.id, outs: outsOf(r) as unknown as QemuFleetOutputs };
        }
      } finally {
        await probe?.stop();
      }
      const outs = held.outs;
      row.orphans += orphans(pidsOf(outs)).length;
      if (convergedOn(outs, want)) row.converged += faults;
      if (probe !== undefined) {
        assert.ok(probe.samples.length > 0, "the probe sampled the recovery");
        const low = probe.samples.filter((s) => s.machines < floor);
        if (low.length > 0) {
          row.floorBreaches = (row.floorBreaches ?? 0) + 1;
          process.stdout.write(`floor breach (${row.fault}): ${probe.aroundMin()}\n`);
        }
      }
      const found = await leaks();
      row.secrets += found.length;
      assert.equal(found.length, 0, describeFindings(found));
    };

    /** An update to the other image, killed as `kill` says; then the recovery. */
    const killedRollout = async (
      row: FaultRow,
      kill: ChildRequest["kill"],
      extra: { before?: () => Promise<() => void>; faults?: number } = {},
    ): Promise<void> => {
      const want = images[(next = 1 - next)]!;
      row.injected += extra.faults ?? 1;
      const restore = await extra.before?.();
      try {
        const r = await inChild({
          provider: "fleet",
          op: "update",
          id: held!.id,
          olds: held!.outs as never,
          inputs: want as never,
          kill,
        });
        assert.equal(r.killed, true, "the provider died at the hook");
        // The engine keeps the outputs it had: `held` stays as it was.
        await recover(row, want, extra.faults ?? 1);
      } finally {
        restore?.();
      }
    };

    // A create killed once its first qemu runs, before any journal: the engine records nothing.
    const create = table.row("QemuFleet", "SIGKILL after qemu started (create)");
    await table.timed(create, async () => {
      create.injected++;
      const r = await inChild({
        provider: "fleet",
        op: "create",
        inputs: images[0] as never,
        kill: { after: "qemu-start", n: 1 },
      });
      assert.equal(r.killed, true);
      await recover(create, images[0]!, 1);
    });

    const steps: [string, number][] = [
      ["old machine stopped", 1],
      ["new machine started", 2],
      ["new machine healthy", 3],
    ];
    for (const [what, n] of steps) {
      const row = table.row("QemuFleet", `SIGKILL at journal: ${what} (rollout)`, true);
      await table.timed(row, () => killedRollout(row, { after: "journal", n }));
    }

    const started = table.row("QemuFleet", "SIGKILL after qemu started (rollout)", true);
    await table.timed(started, () => killedRollout(started, { after: "qemu-start", n: 1 }));

    // The old machines' QMP breaks: slot 0's refuses, slot 1's never answers; each stop falls back.
    const qmp = table.row("QemuFleet", "QMP refusing / hanging (rollout)", true);
    await table.timed(qmp, async () => {
      const sockets = held!.outs.fleetState.slots.map((s) =>
        path.resolve(work, s.machine.qmpSocket),
      );
      const undo = [await breakQmp(sockets[0]!, "refuses"), await breakQmp(sockets[1]!, "hangs")];
      const want = images[(next = 1 - next)]!;
      qmp.injected += 2;
      try {
        await recover(qmp, want, 2);
      } finally {
        undo.forEach((u) => u());
      }
    });

    const r = await inChild({
      provider: "fleet",
      op: "delete",
      id: held!.id,
      olds: held!.outs as never,
    });
    assert.equal(r.result?.ok, true);
    assert.deepEqual(qemuPidsMentioning(work), [], "destroy left no qemu");
    for (const row of table.rows.filter((x) => x.resource === "QemuFleet")) assertClean(row);
  });
});

function assertClean(r: FaultRow): void {
  assert.deepEqual(
    {
      fault: r.fault,
      converged: r.converged,
      orphans: r.orphans,
      breaches: r.floorBreaches ?? 0,
      secrets: r.secrets,
    },
    { fault: r.fault, converged: r.injected, orphans: 0, breaches: 0, secrets: 0 },
  );
}

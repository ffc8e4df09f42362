/**
 * The provider plugin from a Python program (Pulumi's Python SDK from
 * PyPI plus the generated SDK in sdk/python): one Image built from
 * LinuxKit YAML feeds a `qemu.Vm` with a port forward and readiness and a
 * `qemu.Fleet` of 2 serving HTTP. `up` boots all three and they answer
 * HTTP; a second preview changes nothing; an edit to the YAML (v1 → v2)
 * replaces image and VM and rolls the fleet, a machine at a time, to
 * machines booted from v2; destroy leaves no process and no folder. A
 * property of the wrong type fails naming it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { Stack } from "@pulumi/pulumi/automation";

import { processStartTime } from "../../../components/qemu/process-identity";
import { qemuPidsMentioning } from "../../helpers/boot";
import { askAll, freePortRange, webYaml } from "../../helpers/fleet-web";
import { httpGet, installPlugin, pluginStack } from "../../helpers/provider-plugin";

const PROGRAM = `import pulumi
import pulumi_linuxkit as linuxkit

config = pulumi.Config()
image = linuxkit.Image("image", config_files=[config.require("yamlFile")])
vm = linuxkit.qemu.Vm(
    "vm",
    kernel=image.kernel,
    initrd=image.initrd,
    cmdline=image.cmdline,
    image_hash=image.content_hash,
    memory_mib=config.get("memory") or 512,
    forwards=[linuxkit.qemu.PortForwardArgs(host_port=config.require_int("httpPort"), guest_port=80)],
    readiness=linuxkit.qemu.ReadinessArgs(
        console_pattern="LINUXKIT-TEST: boot complete", tcp_port=80, timeout_seconds=300
    ),
)
fleet = linuxkit.qemu.Fleet(
    "web",
    kernel=image.kernel,
    initrd=image.initrd,
    cmdline=image.cmdline,
    image_hash=image.content_hash,
    size=2,
    forwards=[
        linuxkit.qemu.FleetForwardArgs(host_port_base=config.require_int("fleetPortBase"), guest_port=80)
    ],
    health=linuxkit.qemu.FleetHealthArgs(http_path="/", timeout_seconds=300),
    shutdown_timeout_seconds=0,
)
pulumi.export("pid", vm.pid)
pulumi.export("contentHash", image.content_hash)
pulumi.export("fleetStatus", fleet.status)
pulumi.export("fleetImageHash", fleet.image_hash)
`;

interface FleetMachine {
  slot: number;
  imageHash: string | null;
  pid: number | null;
  health: string;
}

let work: string;
let home: string;
let program: string;
let stack: Stack;
let port: number;
let fleetBase: number;

const running = (pid: number): boolean => processStartTime(pid) !== undefined;

/** The fleet's machines as the engine recorded them (the provider's own names). */
async function fleetMachines(): Promise<FleetMachine[]> {
  const state = await stack.exportStack();
  const resources = state.deployment.resources as {
    type: string;
    outputs: Record<string, unknown>;
  }[];
  const fleet = resources.find((r) => r.type === "linuxkit:qemu:Fleet");
  assert.ok(fleet, "a linuxkit:qemu:Fleet in state");
  return fleet.outputs["machines"] as FleetMachine[];
}

/** What the fleet's two slots serve: `fleet <version>` per slot, with the guest's boot id. */
async function fleetAnswers(): Promise<{ version?: string; boot?: string }[]> {
  return (await askAll([fleetBase, fleetBase + 1])).map((a) => ({
    version: a?.version,
    boot: a?.boot,
  }));
}

async function useImage(version: string): Promise<void> {
  await writeFile(path.join(program, `web-${version}.yml`), webYaml(version));
  await stack.setConfig("yamlFile", { value: `web-${version}.yml` });
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-plugin-py-"));
  home = path.join(work, "home");
  program = path.join(work, "program");
  await installPlugin(home);
  await mkdir(program);
  await writeFile(path.join(program, "Pulumi.yaml"), "name: lk-python\nruntime: python\n");
  await writeFile(path.join(program, "__main__.py"), PROGRAM);
  // slots 0 and 1, the surge machine of a roll, then the VM: below the
  // ephemeral range, so nothing binding port 0 takes one meanwhile
  fleetBase = await freePortRange(4);
  port = fleetBase + 3;
  stack = await pluginStack(program, "dev", path.join(work, "state"), home);
  await stack.setAllConfig({
    httpPort: { value: String(port) },
    fleetPortBase: { value: String(fleetBase) },
  });
  await useImage("v1");
});

after(async () => {
  await stack?.destroy().catch(() => undefined);
  for (const pid of qemuPidsMentioning(work)) process.kill(pid, "SIGKILL");
  await rm(work, { recursive: true, force: true });
});

describe("linuxkit plugin from a Python program", { concurrency: false }, () => {
  let firstPid: number;
  let firstFleet: FleetMachine[];
  let firstBoots: (string | undefined)[];

  it("a property of the wrong type fails preview naming it", async () => {
    await stack.setConfig("memory", { value: "lots" });
    await assert.rejects(stack.preview(), /memoryMiB must be an integer, got string "lots"/);
    await stack.removeConfig("memory");
  });

  it("up boots the VM and a fleet of 2, all answer HTTP; a second preview changes nothing", async () => {
    const r = await stack.up();
    firstPid = r.outputs["pid"]?.value as number;
    assert.ok(running(firstPid));
    assert.equal((await httpGet(port)).trim(), "fleet v1");
    assert.equal(r.outputs["fleetStatus"]?.value, "converged");
    firstFleet = await fleetMachines();
    const hash = r.outputs["contentHash"]?.value as string;
    assert.deepEqual(
      firstFleet.map((m) => [m.slot, m.imageHash, m.health]),
      [
        [0, hash, "healthy"],
        [1, hash, "healthy"],
      ],
    );
    const answers = await fleetAnswers();
    assert.deepEqual(
      answers.map((a) => a.version),
      ["v1", "v1"],
    );
    firstBoots = answers.map((a) => a.boot);
    const pv = await stack.preview();
    assert.deepEqual(pv.changeSummary, { same: 4 });
  });

  it("a new image replaces image and VM and rolls the fleet to it", async () => {
    await useImage("v2");
    const pv = await stack.preview({ diff: true });
    assert.deepEqual(pv.changeSummary, { replace: 2, update: 1, same: 1 });
    let out = "";
    const r = await stack.up({ onOutput: (s) => (out += s) });
    assert.deepEqual(r.summary.resourceChanges, { replace: 2, update: 1, same: 1 });
    const pid = r.outputs["pid"]?.value as number;
    assert.notEqual(pid, firstPid);
    assert.ok(running(pid));
    assert.ok(!running(firstPid), "the old VM stopped");
    assert.equal((await httpGet(port)).trim(), "fleet v2");
    const hash = r.outputs["contentHash"]?.value as string;
    assert.equal(r.outputs["fleetImageHash"]?.value, hash);
    assert.equal(r.outputs["fleetStatus"]?.value, "converged");
    const machines = await fleetMachines();
    assert.deepEqual(
      machines.map((m) => [m.slot, m.imageHash, m.health]),
      [
        [0, hash, "healthy"],
        [1, hash, "healthy"],
      ],
    );
    for (const old of firstFleet) assert.ok(!running(old.pid!), `old machine ${old.slot} stopped`);
    const answers = await fleetAnswers();
    assert.deepEqual(
      answers.map((a) => a.version),
      ["v2", "v2"],
    );
    for (const a of answers) assert.ok(!firstBoots.includes(a.boot), "a new boot in every slot");
    // the rollout said what it did as it went, a wave at a time
    assert.match(out, /QemuFleet web: slot 0: .* healthy after/);
    assert.match(out, /QemuFleet web: slot 1: .* healthy after/);
  });

  it("destroy leaves no process and no folder", async () => {
    const pid = (await stack.outputs())["pid"]?.value as number;
    const machines = await fleetMachines();
    await stack.destroy();
    assert.ok(!running(pid));
    for (const m of machines) assert.ok(!running(m.pid!), `machine ${m.slot} stopped`);
    assert.deepEqual(qemuPidsMentioning(program), []);
    const left = existsSync(path.join(program, ".linuxkit"))
      ? await readdir(path.join(program, ".linuxkit"), { recursive: true })
      : [];
    assert.deepEqual(left, []);
  });
});

/**
 * The provider plugin from a Python program (Pulumi's Python SDK from
 * PyPI plus the generated SDK in sdk/python): the same Image → Vm program
 * as the YAML one boots and answers HTTP, a second preview changes
 * nothing, destroy leaves no process; a property of the wrong type or a
 * misspelled one fails with the property named.
 */
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { Stack } from "@pulumi/pulumi/automation";

import { processStartTime } from "../../../components/qemu/process-identity";
import { repoRoot } from "../../helpers/paths";
import { freePort, httpGet, installPlugin, pluginStack } from "../../helpers/provider-plugin";

const PROGRAM = `import pulumi
import pulumi_linuxkit as linuxkit

config = pulumi.Config()
image = linuxkit.Image("image", config_files=["linuxkit.yml"])
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
pulumi.export("pid", vm.pid)
pulumi.export("contentHash", image.content_hash)
`;

let work: string;
let home: string;
let program: string;
let stack: Stack;
let port: number;

const running = (pid: number): boolean => processStartTime(pid) !== undefined;

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-plugin-py-"));
  home = path.join(work, "home");
  program = path.join(work, "program");
  await installPlugin(home);
  await mkdir(program);
  await writeFile(path.join(program, "Pulumi.yaml"), "name: lk-python\nruntime: python\n");
  await writeFile(path.join(program, "__main__.py"), PROGRAM);
  await copyFile(
    path.join(repoRoot, "examples", "qemu-local", "linuxkit.yml"),
    path.join(program, "linuxkit.yml"),
  );
  port = await freePort();
  stack = await pluginStack(program, "dev", path.join(work, "state"), home);
  await stack.setConfig("httpPort", { value: String(port) });
});

after(async () => {
  await stack?.destroy().catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

describe("linuxkit plugin from a Python program", { concurrency: false }, () => {
  it("a property of the wrong type fails preview naming it", async () => {
    await stack.setConfig("memory", { value: "lots" });
    await assert.rejects(stack.preview(), /memoryMiB must be an integer, got string "lots"/);
    await stack.removeConfig("memory");
  });

  it("up boots the VM and HTTP answers; a second preview changes nothing", async () => {
    const r = await stack.up();
    const pid = r.outputs["pid"]?.value as number;
    assert.ok(running(pid));
    assert.match(await httpGet(port), /\S/);
    const pv = await stack.preview();
    assert.deepEqual(pv.changeSummary, { same: 3 });
  });

  it("destroy leaves no process and no folder", async () => {
    const pid = (await stack.outputs())["pid"]?.value as number;
    await stack.destroy();
    assert.ok(!running(pid));
    const left = existsSync(path.join(program, ".linuxkit"))
      ? await readdir(path.join(program, ".linuxkit"), { recursive: true })
      : [];
    assert.deepEqual(left, []);
  });
});

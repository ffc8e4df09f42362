/**
 * LocalMachine under Pulumi's mocks: exactly two children, an Image and a
 * QemuVm named after the component and parented to it, with the VM booting
 * the image's kernel and initrd (and replaced when its content hash moves),
 * the forwards and readiness passed through, and the component's outputs
 * registered. Mocks never run dynamic providers: the providers have their
 * own tests in test/unit/providers.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import type { MockResourceArgs } from "@pulumi/pulumi/runtime";

import { recordingOutputs, recordResources, unwrap } from "../../../helpers/pulumi-mocks";

import { providerModule } from "../../../../components/pulumi/dynamic/dynamic";

import type { LocalMachine as LocalMachineClass } from "../../../../components/pulumi/qemu/local-machine";

const IMAGE_TYPE = "pulumi-nodejs:dynamic/linuxkit:Image";
const VM_TYPE = "pulumi-nodejs:dynamic/linuxkit:QemuVm";
const COMPONENT_TYPE = "linuxkit:qemu:LocalMachine";

/** What the mocked engine saw registered, in order. */
let registered: MockResourceArgs[] = [];

/** What the mocked Image "builds": the outputs the VM must be wired to. */
const IMAGE_OUTS = {
  contentHash: "c0ffee".repeat(10) + "abcd",
  kernel: "/tmp/images/c0ffeec0ffeec0ff/m-kernel",
  initrd: "/tmp/images/c0ffeec0ffeec0ff/m-initrd.img",
  cmdline: "console=ttyS0",
};

let LocalMachine: typeof LocalMachineClass;

before(async () => {
  registered = await recordResources((args) => {
    const state: Record<string, unknown> = { ...args.inputs };
    if (args.type === IMAGE_TYPE) Object.assign(state, IMAGE_OUTS);
    if (args.type === VM_TYPE)
      Object.assign(state, {
        pid: 4242,
        consoleLog: "/tmp/vms/m-x/console.log",
        status: "running",
      });
    return state;
  });
  // Import after the mocks are in place, as a program would be loaded.
  ({ LocalMachine } = await import("../../../../components/pulumi/qemu/local-machine"));
});

describe("LocalMachine", () => {
  let machine: LocalMachineClass;
  let recorded: ReturnType<typeof recordingOutputs<typeof LocalMachineClass>>;

  before(async () => {
    registered.length = 0;
    // registerOutputs recorded: the last test awaits what the component registered.
    recorded = recordingOutputs(LocalMachine);
    machine = new recorded.Component("m", {
      image: { configYaml: "kernel: {}\n", outputDir: "/tmp/images", formats: ["kernel+initrd"] },
      memoryMiB: 768,
      cpus: 2,
      accel: "tcg",
      forwards: [{ hostPort: 18080, guestPort: 80 }],
      readiness: {
        consolePattern: "LINUXKIT-TEST: boot complete",
        tcpPort: 80,
        timeoutSeconds: 60,
      },
      cmdlineAppend: "quiet",
      stateDir: "/tmp/vms",
    });
    // Wait until every child is registered and resolved.
    await unwrap(machine.pid);
    await unwrap(machine.urn);
  });

  it("registers exactly the component, one Image and one QemuVm, named after the component", () => {
    assert.deepEqual(
      registered.map((r) => [r.type, r.name]),
      [
        [COMPONENT_TYPE, "m"],
        [IMAGE_TYPE, "m-image"],
        [VM_TYPE, "m-vm"],
      ],
    );
  });

  it("parents both children to the component", async () => {
    const parentChain = `${COMPONENT_TYPE}$`;
    assert.equal(
      await unwrap(machine.image.urn),
      `urn:pulumi:stack::project::${parentChain}${IMAGE_TYPE}::m-image`,
    );
    assert.equal(
      await unwrap(machine.vm.urn),
      `urn:pulumi:stack::project::${parentChain}${VM_TYPE}::m-vm`,
    );
  });

  it("passes the image arguments through, with the component's name as the artifacts' name", () => {
    const image = registered.find((r) => r.type === IMAGE_TYPE)!;
    assert.equal(image.inputs.configYaml, "kernel: {}\n");
    assert.deepEqual(image.inputs.formats, ["kernel+initrd"]);
    assert.equal(image.inputs.name, "m");
    assert.equal(image.inputs.outputDir, "/tmp/images");
    assert.equal(image.inputs.arch, "amd64");
    assert.equal(
      image.inputs.__provider,
      providerModule("image"),
      "the provider module is in the inputs, as Pulumi's dynamic-provider host reads it",
    );
  });

  it("wires the VM to the image's outputs and passes forwards, readiness and sizing", () => {
    const vm = registered.find((r) => r.type === VM_TYPE)!;
    assert.equal(vm.inputs.name, "m");
    assert.equal(vm.inputs.kernel, IMAGE_OUTS.kernel);
    assert.equal(vm.inputs.initrd, IMAGE_OUTS.initrd);
    assert.equal(
      vm.inputs.imageHash,
      IMAGE_OUTS.contentHash,
      "a new image content replaces the VM",
    );
    assert.equal(
      vm.inputs.cmdline,
      "console=ttyS0 quiet",
      "the image's cmdline with cmdlineAppend",
    );
    assert.deepEqual(vm.inputs.forwards, [{ hostPort: 18080, guestPort: 80 }]);
    assert.deepEqual(vm.inputs.readiness, {
      consolePattern: "LINUXKIT-TEST: boot complete",
      tcpPort: 80,
      timeoutSeconds: 60,
    });
    assert.equal(vm.inputs.memoryMiB, 768);
    assert.equal(vm.inputs.cpus, 2);
    assert.equal(vm.inputs.accel, "tcg");
    assert.equal(vm.inputs.stateDir, "/tmp/vms");
  });

  it("exposes and registers the image hash, console log and pid as outputs", async () => {
    assert.equal(await unwrap(machine.contentHash), IMAGE_OUTS.contentHash);
    assert.equal(await unwrap(machine.consoleLog), "/tmp/vms/m-x/console.log");
    assert.equal(await unwrap(machine.pid), 4242);
    assert.deepEqual(await recorded.outputsOf(machine), {
      contentHash: IMAGE_OUTS.contentHash,
      consoleLog: "/tmp/vms/m-x/console.log",
      pid: 4242,
    });
  });

  it("without cmdlineAppend the VM boots the image's own cmdline", async () => {
    const before = registered.length;
    const other = new LocalMachine("n", { image: { configFiles: ["a.yml"] } });
    await unwrap(other.pid);
    const added = registered.slice(before);
    assert.deepEqual(
      added.map((r) => r.name),
      ["n", "n-image", "n-vm"],
    );
    const vm = added.find((r) => r.type === VM_TYPE)!;
    assert.equal(vm.inputs.cmdline, "console=ttyS0");
    assert.deepEqual(
      added.find((r) => r.type === IMAGE_TYPE)!.inputs.formats,
      ["kernel+initrd"],
      "the default format",
    );
    assert.equal(vm.inputs.forwards, undefined);
  });
});

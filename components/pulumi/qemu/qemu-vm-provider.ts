import { rmdir } from "node:fs/promises";

import { notReadyMessage, startDetachedVm, stopDetachedVm, vmAlive } from "../../qemu/detached-vm";
import { waitUntilReady } from "../../qemu/readiness";
import { sweepDeadVmDirs } from "../../qemu/vm-process";
import {
  bootMediaOf,
  checkQemuVmInputs,
  local,
  QEMU_VM_INPUTS,
  type QemuVmInputs,
  type QemuVmOutputs,
} from "./qemu-vm-inputs";

const INPUT_KEYS = Object.keys(QEMU_VM_INPUTS) as (keyof QemuVmInputs)[];

/**
 * The QemuVm resource's provider: create starts a detached qemu and waits
 * for readiness; read notices a VM that died; delete powers it down and
 * removes its folder. Every boot-relevant change replaces the VM.
 */
export const qemuVmProvider = {
  async check(_olds: unknown, news: Partial<QemuVmInputs>) {
    return checkQemuVmInputs(news);
  },

  async diff(_id: string, olds: QemuVmOutputs, news: QemuVmInputs) {
    const changed = INPUT_KEYS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    const replaces: string[] = changed.filter((k) => QEMU_VM_INPUTS[k] === "replace");
    if (olds.status === "failed") replaces.push("status");
    // A forwarded host port can be held by one VM only: the old VM must
    // stop before its replacement can listen there.
    const deleteBeforeReplace = replaces.length > 0 && (olds.forwards?.length ?? 0) > 0;
    return { changes: changed.length > 0 || replaces.length > 0, replaces, deleteBeforeReplace };
  },

  async create(inputs: QemuVmInputs) {
    await sweepDeadVmDirs(local(inputs.stateDir), inputs.name);
    const vm = await startDetachedVm({
      parentDir: inputs.stateDir,
      prefix: inputs.name,
      media: bootMediaOf(inputs),
      accel: inputs.accel,
      memoryMiB: inputs.memoryMiB,
      cpus: inputs.cpus,
      forwards: inputs.forwards,
    });
    const instanceId = vm.instanceId;
    // Paths as given (relative to the program folder by default), so state
    // does not depend on where the project is checked out.
    const outs: QemuVmOutputs = { ...inputs, ...vm, status: "running" };
    const problem = await waitUntilReady(
      inputs.readiness,
      local(vm.consoleLog),
      () => vmAlive(outs),
      (guest) => inputs.forwards.find((f) => f.guestPort === guest)?.hostPort,
    );
    if (problem !== undefined) {
      const err = new Error(
        await notReadyMessage(`VM ${inputs.name}`, problem, local(vm.consoleLog)),
      ) as Error & { id?: string; properties?: QemuVmOutputs; reasons?: string[] };
      err.id = instanceId;
      err.properties = { ...outs, status: "failed" };
      err.reasons = [problem];
      throw err;
    }
    return { id: instanceId, outs };
  },

  async update(_id: string, olds: QemuVmOutputs, news: QemuVmInputs) {
    return {
      outs: {
        ...olds,
        readiness: news.readiness,
        shutdownTimeoutSeconds: news.shutdownTimeoutSeconds,
      },
    };
  },

  /** Refresh: a VM whose qemu process is gone (killed, crashed, host rebooted) no longer exists. */
  async read(id: string, props?: QemuVmOutputs) {
    if (props === undefined || !vmAlive(props)) return {};
    return { id, props };
  },

  async delete(_id: string, props: QemuVmOutputs) {
    await stopDetachedVm(props, props.shutdownTimeoutSeconds ?? 5);
    await sweepDeadVmDirs(local(props.stateDir), props.name);
    // The shared state folder goes too once its last VM is gone.
    await rmdir(local(props.stateDir)).catch(() => undefined);
  },
};

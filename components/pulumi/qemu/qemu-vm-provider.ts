import { rmdir } from "node:fs/promises";

import { notReadyMessage, startDetachedVm, stopDetachedVm, vmAlive } from "../../qemu/detached-vm";
import { waitUntilReady, type Readiness } from "../../qemu/readiness";
import { progress } from "../../progress";
import { sweepDeadVmDirs } from "../../qemu/vm-process";
import { clearStarter, stopAbandonedVms } from "../../qemu/orphan-vms";
import { DEFAULT_ARCH } from "../../arch";
import {
  archOf,
  bootMediaOf,
  checkQemuVmInputs,
  local,
  QEMU_VM_INPUTS,
  type QemuVmInputs,
  type QemuVmOutputs,
} from "./qemu-vm-inputs";

const INPUT_KEYS = Object.keys(QEMU_VM_INPUTS) as (keyof QemuVmInputs)[];

/** What a readiness wait waits for, in words. */
function describeReadiness(r: Readiness): string {
  const parts: string[] = [];
  if (r.consolePattern !== undefined) parts.push(`console /${r.consolePattern}/`);
  if (r.httpPath !== undefined)
    parts.push(`HTTP GET ${r.httpPath} on guest port ${r.tcpPort ?? 80}`);
  else if (r.tcpPort !== undefined) parts.push(`guest TCP port ${r.tcpPort}`);
  if (parts.length === 0) return "qemu running";
  return `${parts.join(", ")} (up to ${r.timeoutSeconds ?? 120} s)`;
}

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
    // state written before `arch` existed is amd64: not a change
    const value = (i: Partial<QemuVmInputs>, k: keyof QemuVmInputs): unknown =>
      k === "arch" ? (i.arch ?? DEFAULT_ARCH) : i[k];
    const changed = INPUT_KEYS.filter(
      (k) => JSON.stringify(value(olds, k)) !== JSON.stringify(value(news, k)),
    );
    const replaces: string[] = changed.filter((k) => QEMU_VM_INPUTS[k] === "replace");
    if (olds.status === "failed") replaces.push("status");
    // A forwarded host port can be held by one VM only: the old VM must
    // stop before its replacement can listen there.
    const deleteBeforeReplace = replaces.length > 0 && (olds.forwards?.length ?? 0) > 0;
    return { changes: changed.length > 0 || replaces.length > 0, replaces, deleteBeforeReplace };
  },

  async create(inputs: QemuVmInputs) {
    await sweepDeadVmDirs(local(inputs.stateDir), inputs.name);
    // A create killed before the engine recorded its VM left that qemu running: stop it.
    await stopAbandonedVms(local(inputs.stateDir), inputs.name, 0);
    const vm = await startDetachedVm({
      recordStarter: true,
      parentDir: inputs.stateDir,
      prefix: inputs.name,
      media: bootMediaOf(inputs),
      arch: archOf(inputs.arch ?? DEFAULT_ARCH),
      accel: inputs.accel,
      memoryMiB: inputs.memoryMiB,
      cpus: inputs.cpus,
      forwards: inputs.forwards,
    });
    const instanceId = vm.instanceId;
    progress(`qemu started (pid ${vm.pid}, ${vm.accelUsed}); console: ${vm.consoleLog}`);
    progress(`waiting for readiness: ${describeReadiness(inputs.readiness)}`);
    // Paths as given (relative to the program folder by default), so state
    // does not depend on where the project is checked out.
    const outs: QemuVmOutputs = { ...inputs, ...vm, status: "running" };
    let problem: string | undefined;
    try {
      problem = await waitUntilReady(
        inputs.readiness,
        local(vm.consoleLog),
        () => vmAlive(outs),
        (guest) => inputs.forwards.find((f) => f.guestPort === guest)?.hostPort,
      );
    } catch (e) {
      // Not recorded (no id): nothing may keep running.
      await stopDetachedVm(vm, 0);
      throw e;
    }
    // Recorded from here on: as created, or as created-but-failed with its id.
    await clearStarter(local(vm.vmDir));
    if (problem !== undefined) {
      const err = new Error(
        await notReadyMessage(`VM ${inputs.name}`, problem, local(vm.consoleLog)),
      ) as Error & { id?: string; properties?: QemuVmOutputs; reasons?: string[] };
      err.id = instanceId;
      err.properties = { ...outs, status: "failed" };
      err.reasons = [problem];
      throw err;
    }
    progress(`VM ${inputs.name} is ready`);
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

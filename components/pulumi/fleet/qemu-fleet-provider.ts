import { randomBytes } from "node:crypto";
import { mkdir, readdir, rmdir } from "node:fs/promises";

import { DEFAULT_ARCH, parseArch } from "../../arch";
import path from "node:path";

import {
  converged,
  readJournal,
  refreshState,
  stopAll,
  viewOf,
  writeJournal,
  type FleetState,
} from "../../fleet";
import { qemuFleetAdapter, type QemuFleetMachine } from "../../fleet/adapters/qemu-adapter";
import { removeFleetDir } from "../../qemu/owned-dirs";
import { sweepDeadVmDirs } from "../../qemu/vm-process";
import { abandoned, clearStarter, stopUnrecordedVms, writeStarter } from "../../qemu/orphan-vms";
import { containsUnknown } from "../dynamic/unknowns";
import { jsonSafe, runFleetRollout } from "./fleet-rollout";
import {
  fleetDefaults,
  fleetProblems,
  machineKey,
  readinessOf,
  type QemuFleetInputs,
} from "./qemu-fleet-inputs";

/** One slot as the `machines` output shows it. */
export interface FleetMachineSummary {
  slot: number;
  /** Content hash of the image the slot's machine boots; null when the slot is empty. */
  imageHash: string | null;
  pid: number | null;
  /** Host ports (127.0.0.1) forwarded into the machine. */
  ports: number[];
  /** `healthy`, `dead` (found by refresh), `unhealthy`, or `missing` (no machine). */
  health: string;
  consoleLog: string | null;
  /** Seconds from start to a passed health check. */
  readySeconds: number | null;
}

export interface QemuFleetOutputs extends QemuFleetInputs {
  fleetId: string;
  /** Folder of the fleet's machines and journal, relative to the program folder. */
  fleetDir: string;
  /** `converged`, or `partial` when the last rollout stopped part way. */
  status: "converged" | "partial";
  machines: FleetMachineSummary[];
  /** The rollout engine's record (slots, images, machine handles). */
  fleetState: FleetState<QemuFleetMachine>;
  /** Why the last rollout stopped, when it did. */
  lastError?: string;
}

/** Inputs that change where or how machines are reached: they replace the whole fleet. */
const REPLACING: (keyof QemuFleetInputs)[] = ["name", "stateDir", "forwards"];

function adapterFor(inputs: QemuFleetInputs, fleetDir: string) {
  return qemuFleetAdapter({
    name: inputs.name,
    fleetDir,
    media: {
      kind: "kernel+initrd",
      kernel: path.resolve(inputs.kernel),
      initrd: path.resolve(inputs.initrd),
      cmdline: inputs.cmdline,
    },
    imageHash: inputs.imageHash,
    arch: inputs.arch === undefined ? undefined : parseArch(inputs.arch),
    size: inputs.size,
    memoryMiB: inputs.memoryMiB,
    cpus: inputs.cpus,
    accel: inputs.accel,
    forwards: inputs.forwards,
    health: readinessOf(inputs),
    shutdownTimeoutSeconds: inputs.shutdownTimeoutSeconds,
  });
}

function summaries(
  inputs: QemuFleetInputs,
  state: FleetState<QemuFleetMachine>,
): FleetMachineSummary[] {
  const slots = Math.max(inputs.size, ...state.slots.map((s) => s.slot + 1));
  return Array.from({ length: slots }, (_, slot) => {
    const r = state.slots.find((s) => s.slot === slot);
    if (r === undefined) {
      return {
        slot,
        imageHash: null,
        pid: null,
        ports: [],
        health: "missing",
        consoleLog: null,
        readySeconds: null,
      };
    }
    return {
      slot,
      imageHash: r.machine.imageHash,
      pid: r.machine.pid,
      ports: r.machine.ports.map((p) => p.hostPort),
      health: r.health,
      consoleLog: r.machine.consoleLog,
      readySeconds: r.readySeconds ?? null,
    };
  });
}

function outputsOf(
  inputs: QemuFleetInputs,
  fleetId: string,
  fleetDir: string,
  state: FleetState<QemuFleetMachine>,
  lastError?: string,
): QemuFleetOutputs {
  const done = converged(viewOf(state), inputs.size, machineKey(inputs));
  return {
    ...inputs,
    fleetId,
    fleetDir,
    status: done && lastError === undefined ? "converged" : "partial",
    machines: summaries(inputs, state),
    fleetState: state,
    ...(lastError === undefined ? {} : { lastError }),
  };
}

/** The fleet's state: its journal when there is one (always at least as new as Pulumi's), else Pulumi's. */
async function currentState(olds: QemuFleetOutputs): Promise<FleetState<QemuFleetMachine>> {
  return (
    (await readJournal<QemuFleetMachine>(path.resolve(olds.fleetDir))) ??
    olds.fleetState ?? { slots: [] }
  );
}

/** Instance ids of every machine `state` names. */
function recordedMachines(state: FleetState<QemuFleetMachine>): Set<string> {
  const records = [...state.slots, ...(state.surge ?? []), ...(state.retiring ?? [])];
  return new Set(records.map((r) => r.machine.instanceId));
}

/**
 * Stops every machine of this fleet name's folders whose create was killed
 * before the engine recorded the fleet (their starter is gone), and removes
 * the folders: nothing names them, so nothing else ever would.
 */
async function stopAbandonedFleets(inputs: QemuFleetInputs): Promise<void> {
  const parent = path.resolve(inputs.stateDir);
  const re = new RegExp(`^${inputs.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-[0-9a-f]{12}$`);
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const dir = path.join(parent, name);
    if (!re.test(name) || !(await abandoned(dir))) continue;
    await stopUnrecordedVms(dir, new Set(), inputs.shutdownTimeoutSeconds);
    await removeFleetDir(dir);
  }
}

/** Runs the rollout to `inputs` from `state`, journaling every step in the fleet's folder. */
async function converge(
  inputs: QemuFleetInputs,
  fleetId: string,
  fleetDir: string,
  state: FleetState<QemuFleetMachine>,
): Promise<QemuFleetOutputs> {
  const abs = path.resolve(fleetDir);
  await mkdir(abs, { recursive: true });
  await sweepDeadVmDirs(abs, "m");
  // A run killed between starting a machine and journaling it left that qemu running.
  await stopUnrecordedVms(abs, recordedMachines(state), inputs.shutdownTimeoutSeconds);
  return runFleetRollout({
    label: `QemuFleet ${inputs.name}`,
    id: fleetId,
    adapter: adapterFor(inputs, fleetDir),
    state,
    target: { size: inputs.size, image: machineKey(inputs) },
    policy: { maxSurge: inputs.maxSurge, maxUnavailable: inputs.maxUnavailable },
    hooks: { onState: (s) => writeJournal(abs, s) },
    outputs: (s, lastError) => outputsOf(inputs, fleetId, fleetDir, s, lastError),
  });
}

/**
 * The QemuFleet resource's provider. Create and update run the rollout
 * engine; read (refresh) marks machines whose qemu is gone as dead, and the
 * next update starts new ones in their slots; delete stops every machine
 * and removes the fleet's folder. The fleet is never replaced for a new
 * image: that is what the rollout is for.
 */
export const qemuFleetProvider = {
  async check(_olds: unknown, news: Partial<QemuFleetInputs>) {
    const inputs = fleetDefaults(news);
    return { inputs, failures: fleetProblems(inputs) };
  },

  async diff(_id: string, olds: QemuFleetOutputs, news: QemuFleetInputs) {
    // state written before `arch` existed is amd64: not a change
    const value = (i: Partial<QemuFleetInputs>, k: keyof QemuFleetInputs): unknown =>
      k === "arch" ? (i.arch ?? DEFAULT_ARCH) : i[k];
    const changed = (Object.keys(news) as (keyof QemuFleetInputs)[]).filter(
      (k) => JSON.stringify(value(olds, k)) !== JSON.stringify(value(news, k)),
    );
    const replaces = changed.filter((k) => REPLACING.includes(k));
    const unfinished = containsUnknown(news) || olds.status !== "converged";
    return {
      changes: changed.length > 0 || unfinished,
      replaces,
      // A fleet's ports can be held by one fleet at a time.
      deleteBeforeReplace: replaces.length > 0,
    };
  },

  async create(inputs: QemuFleetInputs) {
    await stopAbandonedFleets(inputs);
    const fleetId = randomBytes(6).toString("hex");
    const fleetDir = path.join(inputs.stateDir, `${inputs.name}-${fleetId}`);
    const abs = path.resolve(fleetDir);
    await mkdir(abs, { recursive: true });
    // Until the engine records the fleet, this folder is this process's work in progress.
    await writeStarter(abs);
    let outs: QemuFleetOutputs;
    try {
      outs = await converge(inputs, fleetId, fleetDir, { slots: [] });
    } catch (e) {
      // Recorded as created-but-failed when the error carries the fleet's id.
      if ((e as { id?: string }).id !== undefined) await clearStarter(abs);
      throw e;
    }
    await clearStarter(abs);
    return { id: fleetId, outs };
  },

  async update(id: string, olds: QemuFleetOutputs, news: QemuFleetInputs) {
    const state = await currentState(olds);
    return { outs: await converge(news, id, olds.fleetDir, state) };
  },

  /** Refresh: machines whose qemu is gone become `dead`; the next `up` replaces them. */
  async read(id: string, props?: QemuFleetOutputs) {
    if (props === undefined) return {};
    const inputs = fleetDefaults(props);
    const state = await refreshState(adapterFor(inputs, props.fleetDir), await currentState(props));
    const abs = path.resolve(props.fleetDir);
    if (state.slots.length > 0) {
      await mkdir(abs, { recursive: true });
      await writeJournal(abs, state);
    }
    return { id, props: jsonSafe(outputsOf(inputs, id, props.fleetDir, state, props.lastError)) };
  },

  async delete(_id: string, props: QemuFleetOutputs) {
    const inputs = fleetDefaults(props);
    const abs = path.resolve(props.fleetDir);
    await stopAll(adapterFor(inputs, props.fleetDir), await currentState(props));
    // Anything the state lost track of (a run killed between starting a machine and journaling it).
    await sweepDeadVmDirs(abs, "m", inputs.shutdownTimeoutSeconds);
    // Never recursive: fleetDir comes from state, which may have been tampered with.
    await removeFleetDir(abs);
    await rmdir(path.resolve(props.stateDir)).catch(() => undefined);
  },
};

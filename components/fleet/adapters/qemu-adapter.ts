import path from "node:path";

import type { Arch } from "../../arch";
import type { QemuAccelChoice } from "../../qemu/accel";
import {
  newInstanceId,
  recoverDetachedVm,
  startDetachedVm,
  stopDetachedVm,
  vmAlive,
  type DetachedVm,
} from "../../qemu/detached-vm";
import type { BootMedia, PortForward } from "../../qemu/qemu-args";
import { qmpCommands } from "../../qemu/qmp-client";
import { tailLines, waitUntilReady, type Readiness } from "../../qemu/readiness";
import type { FleetAdapter } from "../fleet-adapter";

/** A forwarded guest port: slot `i` gets `hostPortBase + i`, surge machine `j` gets `hostPortBase + size + j`. */
export interface FleetForward {
  hostPortBase: number;
  guestPort: number;
}

/** One qemu machine of a fleet, as kept in state. Paths are relative to the program folder. */
export interface QemuFleetMachine extends DetachedVm {
  slot: number;
  /** Content hash of the image it boots. */
  imageHash: string;
  /** Host ports forwarded into it now. */
  ports: PortForward[];
  /** Set while it runs beside the slot's old machine, on surge ports. */
  surgeIndex?: number;
}

/** What every new machine of the fleet looks like. */
export interface QemuFleetSpec {
  name: string;
  /** Folder holding one subfolder per machine: relative to the program folder, or absolute. */
  fleetDir: string;
  media: BootMedia;
  /** The machines' architecture (qemu-machines.ts). Default amd64. */
  arch?: Arch;
  imageHash: string;
  size: number;
  memoryMiB: number;
  cpus: number;
  accel: QemuAccelChoice;
  forwards: FleetForward[];
  health: Readiness;
  /** Seconds a stopping guest gets to power down before qemu is stopped. */
  shutdownTimeoutSeconds: number;
}

/** The host forwards of slot `slot`, or of surge position `surgeIndex`. */
export function fleetPorts(
  forwards: FleetForward[],
  size: number,
  slot: number,
  surgeIndex?: number,
): PortForward[] {
  const offset = surgeIndex === undefined ? slot : size + surgeIndex;
  return forwards.map((f) => ({ hostPort: f.hostPortBase + offset, guestPort: f.guestPort }));
}

/**
 * The rollout engine's adapter for local qemu: each machine a detached
 * qemu in its own folder under the fleet's. A surge machine boots on the
 * surge ports; once the slot's old machine has stopped, it takes over the
 * slot's ports live (QMP `hostfwd_add`, then `hostfwd_remove` of the surge
 * port), so it never stops serving and ports stay stable per slot.
 */
export function qemuFleetAdapter(spec: QemuFleetSpec): FleetAdapter<QemuFleetMachine> {
  return {
    // The instance id names the machine's folder and its qemu (`-name`): journaled before the start.
    intend() {
      return { instanceId: newInstanceId() };
    },

    async recoverStarting(intent) {
      // The folder is derived here, never taken from the journal as a path.
      await recoverDetachedVm(spec.fleetDir, "m", String(intent.instanceId));
    },

    async start({ slot, surgeIndex }, intent) {
      const ports = fleetPorts(spec.forwards, spec.size, slot, surgeIndex);
      const vm = await startDetachedVm({
        ...(intent === undefined ? {} : { instanceId: String(intent.instanceId) }),
        parentDir: spec.fleetDir,
        prefix: "m",
        media: spec.media,
        arch: spec.arch,
        accel: spec.accel,
        memoryMiB: spec.memoryMiB,
        cpus: spec.cpus,
        forwards: ports,
      });
      return {
        ...vm,
        slot,
        imageHash: spec.imageHash,
        ports,
        ...(surgeIndex === undefined ? {} : { surgeIndex }),
      };
    },

    health(m) {
      return waitUntilReady(
        spec.health,
        path.resolve(m.consoleLog),
        () => vmAlive(m),
        (guest) => m.ports.find((p) => p.guestPort === guest)?.hostPort,
      );
    },

    async stop(m) {
      await stopDetachedVm(m, spec.shutdownTimeoutSeconds);
    },

    async promote(m, slot) {
      const ports = fleetPorts(spec.forwards, spec.size, slot);
      const hmp = (line: string): { execute: string; arguments: Record<string, unknown> } => ({
        execute: "human-monitor-command",
        arguments: { "command-line": line },
      });
      const replies = await qmpCommands(path.resolve(m.qmpSocket), [
        ...ports.map((p) => hmp(`hostfwd_add net0 tcp:127.0.0.1:${p.hostPort}-:${p.guestPort}`)),
        ...m.ports.map((p) => hmp(`hostfwd_remove net0 tcp:127.0.0.1:${p.hostPort}`)),
      ]);
      const refused = replies
        .map((r) => (r as { return?: unknown }).return)
        .filter((r): r is string => typeof r === "string" && /could not|invalid|error/i.test(r));
      if (refused.length > 0 || replies.length !== ports.length + m.ports.length) {
        throw new Error(
          `machine ${m.instanceId} could not take over slot ${slot}'s ports ${ports.map((p) => p.hostPort).join(", ")}: ${refused.join(" ").trim() || "QMP did not answer"}`,
        );
      }
      const promoted: QemuFleetMachine = { ...m, slot, ports };
      delete promoted.surgeIndex;
      return promoted;
    },

    async alive(m) {
      return vmAlive(m);
    },

    describe(m) {
      const where = m.ports.map((p) => `127.0.0.1:${p.hostPort}`).join(", ");
      return `${spec.name}/s${m.slot}-${m.instanceId} (pid ${m.pid}${where ? `, ${where}` : ""})`;
    },

    consoleTail(m) {
      return tailLines(path.resolve(m.consoleLog), 15);
    },
  };
}

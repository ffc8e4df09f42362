/**
 * The rollout engine's adapter for machines with a Redfish BMC. The
 * hardware is fixed: slot `i` is the `i`-th machine listed, there is no
 * surge, and a machine moves to a new image in place (eject, insert,
 * restart). Health is the machine's readiness (powered on, and the port,
 * HTTP path or console pattern it was given). A machine that fails its
 * check stays as it is, recorded unhealthy, for the next run to re-image.
 * Credentials are handed in when the adapter is made, never kept in the
 * machine records (they are stored in state).
 */
import {
  bootImage,
  consoleOffset,
  machineConsoleTail,
  reimage,
  release,
  waitMachineReady,
  withRedfish,
  type BootImage,
  type MachineReadiness,
  type PowerWait,
  type RedfishClient,
  type RedfishConnectOptions,
  type ResetType,
} from "../../redfish";
import type { FleetAdapter } from "../fleet-adapter";

/** One machine a fleet may use: its BMC, its system there, how to tell it is ready. */
export interface RedfishFleetMember {
  endpoint: string;
  /** The system's id at the BMC. Default: the BMC's only system. */
  systemId?: string;
  readiness?: MachineReadiness;
}

/** A slot's machine, as kept in state (no credentials). */
export interface RedfishFleetMachine {
  slot: number;
  endpoint: string;
  systemId?: string;
  /** `/redfish/v1/Systems/<id>` at `endpoint`. */
  systemPath: string;
  /** Image key of what it was last booted into. */
  image: string;
  /** Console log size when its last boot began (readiness matches after it). */
  consoleOffset: number;
}

export interface RedfishFleetSpec {
  name: string;
  members: RedfishFleetMember[];
  /** Connection and credentials for every member's BMC (endpoint aside). */
  connect: Omit<RedfishConnectOptions, "endpoint">;
  boot: BootImage;
  /** Image key of `boot`. */
  image: string;
  restart: ResetType;
  power?: PowerWait;
}

export function redfishFleetAdapter(spec: RedfishFleetSpec): FleetAdapter<RedfishFleetMachine> {
  const member = (slot: number): RedfishFleetMember => {
    const m = spec.members[slot];
    if (m === undefined)
      throw new Error(`RedfishFleet ${spec.name} has no machine for slot ${slot}`);
    return m;
  };
  const on = <T>(endpoint: string, fn: (c: RedfishClient) => Promise<T>): Promise<T> =>
    withRedfish({ ...spec.connect, endpoint }, fn);
  const readiness = (slot: number): MachineReadiness => spec.members[slot]?.readiness ?? {};

  return {
    keepFailed: true,

    async start({ slot }) {
      const m = member(slot);
      const offset = await consoleOffset(readiness(slot));
      return on(m.endpoint, async (c) => {
        const systemPath = await c.resolveSystem(m.systemId);
        await bootImage(c, systemPath, spec.boot, spec.power);
        return {
          slot,
          endpoint: m.endpoint,
          ...(m.systemId === undefined ? {} : { systemId: m.systemId }),
          systemPath,
          image: spec.image,
          consoleOffset: offset,
        };
      });
    },

    async reimage(machine) {
      const offset = await consoleOffset(readiness(machine.slot));
      await on(machine.endpoint, (c) =>
        reimage(c, machine.systemPath, spec.boot, spec.restart, spec.power),
      );
      return { ...machine, image: spec.image, consoleOffset: offset };
    },

    health(machine) {
      return waitMachineReady(readiness(machine.slot), machine.consoleOffset, () =>
        on(machine.endpoint, async (c) => (await c.powerState(machine.systemPath)) === "On"),
      );
    },

    async stop(machine) {
      await on(machine.endpoint, (c) =>
        release(c, machine.systemPath, spec.boot.method, false, spec.power),
      );
    },

    async alive(machine) {
      return on(machine.endpoint, async (c) => (await c.powerState(machine.systemPath)) === "On");
    },

    describe(machine) {
      return `${spec.name}-${machine.slot} (${machine.endpoint}${machine.systemPath})`;
    },

    consoleTail(machine) {
      return machineConsoleTail(readiness(machine.slot));
    },
  };
}

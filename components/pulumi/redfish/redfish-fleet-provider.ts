/**
 * The RedfishFleet provider: machines with Redfish BMCs, slot `i` being
 * the `i`-th machine listed, moved to a new image in place
 * `maxUnavailable` at a time (no surge: the hardware is fixed), each
 * passing its readiness check before the next wave; a machine that fails
 * stops the rollout, naming it, with the state recorded as it stands.
 * Refresh marks machines powered off or gone dead (the next up boots them
 * again); delete ejects and powers off every machine. The password is kept
 * as RedfishMachine keeps it (secret, encrypted in state); the fleet state
 * holds no credentials.
 */
import { createHash, randomBytes } from "node:crypto";

import {
  converged,
  policyProblems,
  refreshState,
  stopAll,
  viewOf,
  withoutSlot,
  type FleetState,
} from "../../fleet";
import {
  redfishFleetAdapter,
  type RedfishFleetMachine,
  type RedfishFleetMember,
} from "../../fleet/adapters/redfish-fleet-adapter";
import { machineReadinessProblems, type BootMethod, type MachineReadiness } from "../../redfish";
import { containsUnknown } from "../dynamic/unknowns";
import { jsonSafe, runFleetRollout } from "../fleet/fleet-rollout";
import { forEngine } from "./engine-error";
import {
  bootImageOf,
  inputFailures,
  normaliseInputs,
  type RedfishMachineInputs,
} from "./redfish-machine-inputs";

/** The fleet's inputs after defaults: a machine's, minus what differs per machine, plus the policy. */
export interface RedfishFleetInputs extends Omit<
  RedfishMachineInputs,
  "endpoint" | "systemId" | "leaveRunningOnDelete"
> {
  name: string;
  machines: RedfishFleetMember[];
  maxUnavailable: number;
}

export interface RedfishFleetMachineSummary {
  slot: number;
  endpoint: string;
  systemPath: string | null;
  health: string;
}

export interface RedfishFleetOutputs extends RedfishFleetInputs {
  status: "converged" | "partial";
  machineStates: RedfishFleetMachineSummary[];
  fleetState: FleetState<RedfishFleetMachine>;
  lastError?: string;
}

function defaults(news: Partial<RedfishFleetInputs>): RedfishFleetInputs {
  const base: Partial<RedfishMachineInputs> = normaliseInputs({
    ...news,
    endpoint: "",
  } as Partial<RedfishMachineInputs>);
  // Per machine, not per fleet: each member has its own endpoint and system.
  delete base.endpoint;
  delete base.systemId;
  delete base.leaveRunningOnDelete;
  return {
    ...(base as Omit<RedfishFleetInputs, "name" | "machines" | "maxUnavailable">),
    name: news.name ?? "fleet",
    machines: news.machines ?? [],
    maxUnavailable: news.maxUnavailable ?? 1,
  };
}

/** What a machine boots: a new key rolls the fleet. */
export function imageKey(i: RedfishFleetInputs): string {
  return createHash("sha256")
    .update(
      JSON.stringify([
        i.bootMethod,
        i.isoUrl ?? null,
        i.bootUrl ?? null,
        i.bootMode ?? null,
        i.imageHash ?? null,
      ]),
    )
    .digest("hex")
    .slice(0, 16);
}

/** A member's readiness: the fleet's, overridden by the member's own settings. */
function memberOf(i: RedfishFleetInputs, m: RedfishFleetMember): RedfishFleetMember {
  return { ...m, readiness: { ...i.readiness, ...(m.readiness ?? {}) } as MachineReadiness };
}

/** `previous`: how the fleet booted before (moving away from virtual media ejects the old ISO). */
function adapterFor(i: RedfishFleetInputs, previous?: BootMethod) {
  return redfishFleetAdapter({
    name: i.name,
    members: i.machines.map((m) => memberOf(i, m)),
    connect: {
      username: i.username,
      password: i.password,
      insecureTls: i.insecureTls,
      ...(i.caCertificate === undefined ? {} : { caCertificate: i.caCertificate }),
    },
    boot: {
      ...bootImageOf({ ...i, endpoint: "", leaveRunningOnDelete: false }),
      ...(previous === undefined ? {} : { previous }),
    },
    image: imageKey(i),
    restart: i.restartType,
    power: { timeoutMs: i.powerTimeoutSeconds * 1000 },
  });
}

function outputsOf(
  i: RedfishFleetInputs,
  state: FleetState<RedfishFleetMachine>,
  lastError?: string,
): RedfishFleetOutputs {
  const size = i.machines.length;
  const done = converged(viewOf(state), size, imageKey(i));
  const machineStates = i.machines.map((m, slot): RedfishFleetMachineSummary => {
    const r = state.slots.find((s) => s.slot === slot);
    return {
      slot,
      endpoint: m.endpoint,
      systemPath: r?.machine.systemPath ?? null,
      health: r?.health ?? "missing",
    };
  });
  return {
    ...i,
    status: done && lastError === undefined ? "converged" : "partial",
    machineStates,
    fleetState: state,
    ...(lastError === undefined ? {} : { lastError }),
  };
}

const sameMachine = (r: RedfishFleetMachine, m: RedfishFleetMember | undefined): boolean =>
  m !== undefined && r.endpoint === m.endpoint && (r.systemId ?? "") === (m.systemId ?? "");

async function converge(
  i: RedfishFleetInputs,
  id: string,
  from: FleetState<RedfishFleetMachine>,
  previous?: BootMethod,
): Promise<RedfishFleetOutputs> {
  const adapter = adapterFor(i, previous);
  // A slot now listing another machine: release the old one; the slot is filled anew.
  let state = from;
  for (const r of from.slots) {
    if (r.slot < i.machines.length && !sameMachine(r.machine, i.machines[r.slot])) {
      try {
        await adapter.stop(r.machine);
      } catch (e) {
        throw forEngine(
          e,
          `RedfishFleet ${i.name}: releasing ${adapter.describe(r.machine)}, no longer slot ${r.slot}'s machine`,
        );
      }
      state = withoutSlot(state, r.slot);
    }
  }
  return runFleetRollout({
    label: `RedfishFleet ${i.name}`,
    id,
    adapter,
    state,
    target: { size: i.machines.length, image: imageKey(i) },
    policy: { maxSurge: 0, maxUnavailable: i.maxUnavailable },
    outputs: (s, lastError) => outputsOf(i, s, lastError),
  });
}

export const redfishFleetProvider = {
  async check(_olds: unknown, news: Partial<RedfishFleetInputs>) {
    const inputs = defaults(news);
    const failures = inputFailures({
      ...inputs,
      endpoint: "https://fleet",
      leaveRunningOnDelete: false,
      // Endpoints and readiness are checked per machine below (readiness merged with the machine's).
    }).filter((f) => f.property !== "endpoint" && f.property !== "readiness");
    if (!containsUnknown(inputs.machines)) {
      if (inputs.machines.length === 0)
        failures.push({ property: "machines", reason: "machines must list at least one machine" });
      inputs.machines.forEach((m, n) => {
        if (!/^https?:\/\/[^/@]+/.test(m.endpoint ?? "")) {
          failures.push({
            property: "machines",
            reason: `machines[${n}].endpoint must be the BMC's https://<host>[:port], got ${JSON.stringify(m.endpoint)}`,
          });
        }
        for (const reason of machineReadinessProblems(
          { ...inputs.readiness, ...(m.readiness ?? {}) },
          `machines[${n}].readiness`,
        )) {
          failures.push({ property: "machines", reason });
        }
      });
      const seen = new Set<string>();
      inputs.machines.forEach((m, n) => {
        const key = `${m.endpoint}#${m.systemId ?? ""}`;
        if (seen.has(key))
          failures.push({
            property: "machines",
            reason: `machines[${n}] lists ${m.endpoint}${m.systemId ? ` system ${m.systemId}` : ""} a second time`,
          });
        seen.add(key);
      });
    }
    if (!containsUnknown(inputs.maxUnavailable)) {
      for (const reason of policyProblems({ maxSurge: 0, maxUnavailable: inputs.maxUnavailable })) {
        failures.push({
          property: "maxUnavailable",
          reason: reason.replace(
            /maxSurge and maxUnavailable are both 0.*/,
            "maxUnavailable must be at least 1: machines are re-imaged in place (no surge)",
          ),
        });
      }
    }
    return failures.length > 0 ? { inputs, failures } : { inputs };
  },

  async diff(_id: string, olds: RedfishFleetOutputs, news: RedfishFleetInputs) {
    const n = defaults(news);
    const changed = (Object.keys(n) as (keyof RedfishFleetInputs)[]).filter(
      (k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(n[k] ?? null),
    );
    return {
      changes: changed.length > 0 || olds.status !== "converged" || containsUnknown(news),
      replaces: changed.includes("name") ? ["name"] : [],
    };
  },

  async create(inputs: RedfishFleetInputs) {
    const i = defaults(inputs);
    const id = `${i.name}-${randomBytes(6).toString("hex")}`;
    return { id, outs: await converge(i, id, { slots: [] }) };
  },

  async update(id: string, olds: RedfishFleetOutputs, news: RedfishFleetInputs) {
    const previous = olds.bootMethod ?? "virtualMedia";
    return { outs: await converge(defaults(news), id, olds.fleetState ?? { slots: [] }, previous) };
  },

  async read(id: string, props?: RedfishFleetOutputs) {
    if (props === undefined) return {};
    const i = defaults(props);
    let state: FleetState<RedfishFleetMachine>;
    try {
      state = await refreshState(adapterFor(i), props.fleetState ?? { slots: [] });
    } catch (e) {
      throw forEngine(e, `reading RedfishFleet ${i.name}`);
    }
    const outs = outputsOf(i, state, props.lastError);
    return {
      id,
      props: jsonSafe({
        ...outs,
        status: state.slots.every((s) => s.health === "healthy") ? outs.status : "partial",
      }),
    };
  },

  async delete(_id: string, props: RedfishFleetOutputs) {
    const i = defaults(props);
    try {
      await stopAll(adapterFor(i), props.fleetState ?? { slots: [] });
    } catch (e) {
      throw forEngine(e, `releasing the machines of RedfishFleet ${i.name}`);
    }
  },
};

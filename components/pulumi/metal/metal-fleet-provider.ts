import { createHash, randomBytes } from "node:crypto";
import path from "node:path";

import {
  converged,
  policyProblems,
  refreshState,
  stopAll,
  viewOf,
  type FleetState,
} from "../../fleet";
import { containsUnknown } from "../dynamic/unknowns";
import { clearPending, DEFAULT_PENDING_DIR } from "../../metal/pending-creates";
import { jsonSafe, runFleetRollout } from "../fleet/fleet-rollout";
import { MetalCredentials, type ProviderConfigRequest } from "./metal-credentials";
import {
  metalFleetAdapter,
  type MetalDeviceTemplate,
  type MetalFleetHealth,
  type MetalFleetMachine,
} from "../../fleet/adapters/metal-fleet-adapter";

/** The stack configuration this provider process was given (see `configure`), as MetalDevice reads it. */
const credentials = new MetalCredentials();

/** The MetalFleet resource's inputs after defaults. */
export interface MetalFleetInputs extends MetalDeviceTemplate {
  name: string;
  apiUrl?: string;
  size: number;
  maxUnavailable: number;
  health: MetalFleetHealth;
  pollSeconds: number;
}

/** One slot as the `machines` output shows it. */
export interface MetalFleetMachineSummary {
  slot: number;
  deviceId: string | null;
  hostname: string | null;
  ipxeScriptUrl: string | null;
  publicIpv4: string | null;
  health: string;
}

export interface MetalFleetOutputs extends MetalFleetInputs {
  status: "converged" | "partial";
  machines: MetalFleetMachineSummary[];
  fleetState: FleetState<MetalFleetMachine>;
  lastError?: string;
}

/** Inputs a device is created with and cannot change in place: they replace the fleet. */
const REPLACING: (keyof MetalFleetInputs)[] = ["name", "projectId", "plan", "metro", "apiUrl"];

function defaults(news: Partial<MetalFleetInputs>): MetalFleetInputs {
  return {
    ...(news as MetalFleetInputs),
    name: news.name ?? "fleet",
    alwaysPxe: news.alwaysPxe ?? true,
    size: news.size ?? 1,
    maxUnavailable: news.maxUnavailable ?? 1,
    health: news.health ?? {},
    pollSeconds: news.pollSeconds ?? 10,
  };
}

/** What a device boots: a new key moves the fleet. */
function imageKey(i: Pick<MetalFleetInputs, "ipxeScriptUrl" | "userData">): string {
  return createHash("sha256")
    .update(JSON.stringify([i.ipxeScriptUrl, i.userData ?? null]))
    .digest("hex")
    .slice(0, 16);
}

function adapterFor(i: MetalFleetInputs) {
  // The token is read when the provider runs, never an input: nothing stores it.
  return metalFleetAdapter({
    ...i,
    client: credentials.client({ apiUrl: i.apiUrl }),
    pendingDir: path.resolve(DEFAULT_PENDING_DIR),
  });
}

/**
 * Forgets the in-flight create records of every device `state` holds: they
 * are recorded in Pulumi's state from here on (returned, or carried by the
 * error as the failed resource's properties).
 */
async function settleCreates(state: FleetState<MetalFleetMachine> | undefined): Promise<void> {
  const machines = [...(state?.slots ?? []), ...(state?.surge ?? [])].map((r) => r.machine);
  for (const m of machines) {
    if (m.createTag !== undefined)
      await clearPending(path.resolve(DEFAULT_PENDING_DIR), m.createTag);
  }
}

/** The state without the create tags (they are settled): what is stored. */
function withoutCreateTags(state: FleetState<MetalFleetMachine>): FleetState<MetalFleetMachine> {
  const strip = <R extends { machine: MetalFleetMachine }>(r: R): R => {
    const machine = { ...r.machine };
    delete machine.createTag;
    return { ...r, machine };
  };
  return {
    ...state,
    slots: state.slots.map(strip),
    ...(state.surge === undefined ? {} : { surge: state.surge.map(strip) }),
  };
}

function outputsOf(
  i: MetalFleetInputs,
  state: FleetState<MetalFleetMachine>,
  lastError?: string,
): MetalFleetOutputs {
  const done = converged(viewOf(state), i.size, imageKey(i));
  const slots = Math.max(i.size, ...state.slots.map((s) => s.slot + 1));
  const machines = Array.from({ length: slots }, (_, slot): MetalFleetMachineSummary => {
    const r = state.slots.find((s) => s.slot === slot);
    return {
      slot,
      deviceId: r?.machine.deviceId ?? null,
      hostname: r?.machine.hostname ?? null,
      ipxeScriptUrl: r?.machine.ipxeScriptUrl ?? null,
      publicIpv4: r?.machine.publicIpv4 ?? null,
      health: r?.health ?? "missing",
    };
  });
  return {
    ...i,
    status: done && lastError === undefined ? "converged" : "partial",
    machines,
    fleetState: state,
    ...(lastError === undefined ? {} : { lastError }),
  };
}

async function converge(
  i: MetalFleetInputs,
  id: string,
  state: FleetState<MetalFleetMachine>,
): Promise<MetalFleetOutputs> {
  let recorded: FleetState<MetalFleetMachine> | undefined;
  try {
    const outs = await runFleetRollout({
      label: `MetalFleet ${i.name}`,
      id,
      adapter: adapterFor(i),
      state,
      target: { size: i.size, image: imageKey(i) },
      policy: { maxSurge: 0, maxUnavailable: i.maxUnavailable },
      outputs: (s, lastError) => {
        recorded = s;
        return outputsOf(i, withoutCreateTags(s), lastError);
      },
    });
    return outs;
  } finally {
    await settleCreates(recorded);
  }
}

/**
 * The MetalFleet resource's provider: create makes `size` devices; a new
 * iPXE script URL (or user data) moves them by PUT + reboot,
 * `maxUnavailable` at a time, each passing health before the next; a
 * stopped rollout is recorded as it stands (the error carries the partial
 * state). Refresh marks deleted devices dead; delete deletes every device.
 */
export const metalFleetProvider = {
  /** The secret stack configuration `metal:authToken` (and `metal:apiUrl`), as MetalDevice takes them. */
  async configure(req: ProviderConfigRequest) {
    credentials.configure(req);
  },

  async check(_olds: unknown, news: Partial<MetalFleetInputs>) {
    const inputs = defaults(news);
    const failures: { property: string; reason: string }[] = [];
    if (!containsUnknown([inputs.size, inputs.maxUnavailable])) {
      for (const reason of policyProblems(
        { maxSurge: 0, maxUnavailable: inputs.maxUnavailable },
        inputs.size,
      )) {
        failures.push({
          property: /^size/.test(reason) ? "size" : "maxUnavailable",
          reason: reason.replace(
            /maxSurge and maxUnavailable are both 0.*/,
            "maxUnavailable must be at least 1: Metal devices are updated in place (no surge)",
          ),
        });
      }
    }
    for (const key of ["projectId", "plan", "metro", "ipxeScriptUrl"] as const) {
      if (inputs[key] === undefined || inputs[key] === "")
        failures.push({ property: key, reason: `${key} is required` });
    }
    return { inputs, failures };
  },

  async diff(_id: string, olds: MetalFleetOutputs, news: MetalFleetInputs) {
    const changed = (Object.keys(news) as (keyof MetalFleetInputs)[]).filter(
      (k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
    );
    const replaces = changed.filter((k) => REPLACING.includes(k));
    return {
      changes: changed.length > 0 || olds.status !== "converged" || containsUnknown(news),
      replaces,
    };
  },

  async create(inputs: MetalFleetInputs) {
    const id = `${inputs.name}-${randomBytes(6).toString("hex")}`;
    return { id, outs: await converge(inputs, id, { slots: [] }) };
  },

  async update(id: string, olds: MetalFleetOutputs, news: MetalFleetInputs) {
    return { outs: await converge(news, id, olds.fleetState ?? { slots: [] }) };
  },

  async read(id: string, props?: MetalFleetOutputs) {
    if (props === undefined) return {};
    const i = defaults(props);
    const state = await refreshState(adapterFor(i), props.fleetState ?? { slots: [] });
    return { id, props: jsonSafe(outputsOf(i, state, props.lastError)) };
  },

  async delete(_id: string, props: MetalFleetOutputs) {
    await stopAll(adapterFor(defaults(props)), props.fleetState ?? { slots: [] });
  },
};

/**
 * Fault injection for the Metal resources (issue 19): MetalDevice and
 * MetalFleet are created against the fake Metal API with a fault at each
 * API call in turn — the call answers 503 until the client's retries run
 * out; the API does the work and the connection is reset before the
 * answer; the API does the work and never answers (the client's request
 * timeout ends it) — then the user's next steps run as the engine would
 * run them: `refresh` of what the engine recorded (the error's id and
 * properties), then `up` (diff, update), or `up` (create) when nothing was
 * recorded. Every run must converge, with no device outside state, no
 * in-flight create record left, and the token in no error, log, state,
 * record or request the API saw. Prints the tier's table.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { withProgress } from "../../components/progress";
import type { MetalDeviceInputs } from "../../components/pulumi/metal/metal-device-inputs";
import {
  METAL_TOKEN_ENV,
  metalDeviceProvider,
} from "../../components/pulumi/metal/metal-device-provider";
import {
  METAL_REQUEST_TIMEOUT_MS_ENV,
  METAL_RETRY_BASE_MS_ENV,
} from "../../components/pulumi/metal/metal-credentials";
import {
  metalFleetProvider,
  type MetalFleetInputs,
  type MetalFleetOutputs,
} from "../../components/pulumi/metal/metal-fleet-provider";
import { DEFAULT_PENDING_DIR } from "../../components/metal/pending-creates";
import {
  startFakeMetalApi,
  type FakeMetalApi,
  type FakeMetalFault,
} from "../helpers/fake-metal-api";
import { describeFindings, findSecretIn, findSecretInFiles } from "../helpers/secret-scan";
import { FaultTable, type FaultRow } from "./fault-table";

type Recorded = Error & { id?: string; properties?: Record<string, unknown> };
type Outs = Record<string, unknown>;

const table = new FaultTable("Metal fault injection (fake Metal API)");
let api: FakeMetalApi;
let work: string;

before(async () => {
  api = await startFakeMetalApi({ advance: "gets", token: `tok-${process.pid}-faults` });
  process.env[METAL_TOKEN_ENV] = api.token;
  process.env[METAL_RETRY_BASE_MS_ENV] = "1";
  process.env[METAL_REQUEST_TIMEOUT_MS_ENV] = "300";
  work = await mkdtemp(path.join(os.tmpdir(), "lk-faults-metal-"));
  process.chdir(work);
});
after(async () => {
  delete process.env[METAL_TOKEN_ENV];
  await api.close();
  table.print();
});

const KINDS = {
  "503": "503 until retries run out",
  reset: "reset after the work was done",
  timeout: "timeout after the work was done",
} as const;
type Kind = keyof typeof KINDS;

/** The n-th API call from now (1-based) fails as `kind` says. */
function faultAt(n: number, kind: Kind): FakeMetalFault {
  let seen = 0;
  let hit = false;
  const match = (): boolean => {
    if (hit) return kind === "503"; // 503 persists until the retries run out
    seen++;
    hit = seen === n;
    return hit;
  };
  if (kind === "503") return { status: 503, match, times: 5 };
  return { kind: kind === "reset" ? "reset" : "hang", after: true, match, times: 1 };
}

function clean(): void {
  api.clearFaults();
  for (const id of [...api.devices.keys()]) api.deleteBehindBack(id);
}

/** What the engine holds for a resource: its id and outputs. */
interface Held {
  id: string;
  outs: Outs;
}

/** How the tier drives one resource type, as the engine would. */
interface Subject {
  create(): Promise<Held>;
  read(h: Held): Promise<Held | undefined>;
  /** `up` for a recorded resource: update when the diff asks for it. */
  up(h: Held): Promise<Held>;
  /** Device ids the recorded outputs hold. */
  devices(outs: Outs): string[];
  converged(outs: Outs): boolean;
}

/** What is faulted: a create, or an update of what `prepare` made. */
interface Operation {
  prepare?(): Promise<Held>;
  run(prepared: Held | undefined): Promise<Held>;
  /** A fleet's floor: at least `min` devices `active` at every API call of the recovery up. */
  floor?: { min: number };
}

async function pendingRecords(): Promise<string[]> {
  return readdir(path.join(work, DEFAULT_PENDING_DIR)).catch(() => []);
}

/**
 * One fault at each API call a clean `op` makes, for each kind; then
 * refresh and `up` must converge.
 */
async function injectEverywhere(
  name: string,
  subject: Subject,
  op: Operation,
  what: string,
): Promise<FaultRow[]> {
  clean();
  const base = await op.prepare?.();
  const from = api.requests.length;
  await op.run(base);
  const calls = api.requests.length - from;
  const rows: FaultRow[] = [];
  for (const kind of Object.keys(KINDS) as Kind[]) {
    const row = table.row(name, `${what}: ${KINDS[kind]}`, op.floor !== undefined);
    rows.push(row);
    await table.timed(row, async () => {
      for (let n = 1; n <= calls; n++) {
        clean();
        const before = await op.prepare?.();
        api.inject(faultAt(n, kind));
        row.injected++;
        const lines: string[] = [];
        const texts: Record<string, string> = {};
        let held: Held | undefined = before;
        let breached = false;
        await withProgress(
          (l) => lines.push(l),
          async () => {
            try {
              held = await op.run(before);
            } catch (e) {
              const err = e as Recorded;
              texts.error = `${err.message}\n${JSON.stringify(err)}`;
              // The engine keeps what the failed operation recorded, or what it held before.
              if (err.properties !== undefined) {
                held = { id: err.id ?? before!.id, outs: err.properties };
              }
            }
            api.clearFaults();
            // The user's next steps: refresh what was recorded, then up.
            const unwatch = api.watch(() => {
              const up = [...api.devices.values()].filter((d) => d.state === "active").length;
              if (op.floor !== undefined && up < op.floor.min) breached = true;
            });
            try {
              if (held !== undefined) held = await subject.read(held);
              held = held === undefined ? await subject.create() : await subject.up(held);
            } finally {
              unwatch();
            }
          },
        );
        if (breached) row.floorBreaches = (row.floorBreaches ?? 0) + 1;
        const recorded = new Set(subject.devices(held!.outs));
        row.orphans += [...api.devices.keys()].filter((id) => !recorded.has(id)).length;
        const settled = (await pendingRecords()).length === 0;
        const allActive = [...recorded].every((id) => api.devices.get(id)?.state === "active");
        if (subject.converged(held!.outs) && allActive && settled) row.converged++;
        texts.state = JSON.stringify(held);
        texts.log = lines.join("\n");
        texts.requests = JSON.stringify(api.requests);
        const found = [
          ...findSecretIn(texts, api.token),
          ...(await findSecretInFiles(work, api.token)),
        ];
        assert.equal(found.length, 0, describeFindings(found));
        row.secrets += found.length;
      }
    });
  }
  return rows;
}

function assertClean(rows: FaultRow[]): void {
  for (const r of rows) {
    assert.deepEqual(
      {
        fault: r.fault,
        converged: r.converged,
        orphans: r.orphans,
        breaches: r.floorBreaches ?? 0,
        secrets: r.secrets,
      },
      { fault: r.fault, converged: r.injected, orphans: 0, breaches: 0, secrets: 0 },
    );
  }
}

describe("fault injection: Metal", { concurrency: false }, () => {
  it("MetalDevice: a fault at every API call of a create, then up: converged, no orphan, no leak", async () => {
    const inputs = (
      await metalDeviceProvider.check(
        {},
        {
          projectId: "p-1",
          plan: "m3.small.x86",
          metro: "sv",
          ipxeScriptUrl: "http://boot/v1.ipxe",
          hostname: "faulty",
          apiUrl: api.apiUrl,
          timeoutSeconds: 5,
          pollSeconds: 0.001,
        },
      )
    ).inputs as MetalDeviceInputs;
    const subject: Subject = {
      create: async () => {
        const r = await metalDeviceProvider.create(inputs);
        return { id: r.id, outs: r.outs as unknown as Outs };
      },
      read: async (h) => {
        const r = await metalDeviceProvider.read(h.id, h.outs as never);
        return r.id === undefined ? undefined : { id: r.id, outs: r.props as unknown as Outs };
      },
      up: async (h) => {
        const d = await metalDeviceProvider.diff(h.id, h.outs as never, inputs);
        if (!d.changes) return h;
        const r = await metalDeviceProvider.update(h.id, h.outs as never, inputs);
        return { id: h.id, outs: r.outs as unknown as Outs };
      },
      devices: (outs) => [String(outs.deviceId)],
      converged: (outs) => outs.state === "active",
    };
    assertClean(await injectEverywhere("MetalDevice", subject, { run: subject.create }, "create"));
  });

  describe("MetalFleet", () => {
    const fleetInputs = async (script: string): Promise<MetalFleetInputs> =>
      (
        await metalFleetProvider.check({}, {
          name: "ff",
          projectId: "p-1",
          plan: "m3.small.x86",
          metro: "sv",
          ipxeScriptUrl: script,
          apiUrl: api.apiUrl,
          size: 3,
          maxUnavailable: 1,
          pollSeconds: 0.001,
          // Also the grace a reboot gets to show in the API (the fake moves on GETs, not time).
          health: { timeoutSeconds: 1 },
        } satisfies Partial<MetalFleetInputs>)
      ).inputs;
    const fleetOuts = (o: Outs): MetalFleetOutputs => o as unknown as MetalFleetOutputs;
    const subjectFor = (inputs: MetalFleetInputs): Subject => ({
      create: async () => {
        const r = await metalFleetProvider.create(inputs);
        return { id: r.id, outs: r.outs as unknown as Outs };
      },
      read: async (h) => {
        const r = await metalFleetProvider.read(h.id, fleetOuts(h.outs));
        return r.id === undefined ? undefined : { id: r.id, outs: r.props as unknown as Outs };
      },
      up: async (h) => {
        const d = await metalFleetProvider.diff(h.id, fleetOuts(h.outs), inputs);
        if (!d.changes) return h;
        const r = await metalFleetProvider.update(h.id, fleetOuts(h.outs), inputs);
        return { id: h.id, outs: r.outs as unknown as Outs };
      },
      devices: (outs) => fleetOuts(outs).fleetState.slots.map((s) => s.machine.deviceId),
      converged: (outs) =>
        fleetOuts(outs).status === "converged" &&
        fleetOuts(outs).fleetState.slots.length === inputs.size &&
        fleetOuts(outs).fleetState.slots.every(
          (s) => s.machine.ipxeScriptUrl === inputs.ipxeScriptUrl,
        ),
    });

    it("a fault at every API call of a create, then refresh and up: converged, no orphan, no leak", async () => {
      const subject = subjectFor(await fleetInputs("http://boot/v1.ipxe"));
      assertClean(await injectEverywhere("MetalFleet", subject, { run: subject.create }, "create"));
    });

    it("a fault at every API call of a rollout, then refresh and up: converged, never below the floor", async () => {
      const v1 = subjectFor(await fleetInputs("http://boot/v1.ipxe"));
      const v2Inputs = await fleetInputs("http://boot/v2.ipxe");
      const v2 = subjectFor(v2Inputs);
      const rows = await injectEverywhere(
        "MetalFleet",
        v2,
        {
          prepare: v1.create,
          run: async (h) => {
            const r = await metalFleetProvider.update(h!.id, fleetOuts(h!.outs), v2Inputs);
            return { id: h!.id, outs: r.outs as unknown as Outs };
          },
          floor: { min: v2Inputs.size - v2Inputs.maxUnavailable },
        },
        "rollout",
      );
      assertClean(rows);
    });
  });
});

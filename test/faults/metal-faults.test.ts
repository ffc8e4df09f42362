/**
 * Fault injection for the Metal resources (issue 19): MetalDevice and
 * MetalFleet are created against the fake Metal API with a fault at each
 * API call in turn (the call answers 503 until the client's retries run
 * out, or the API does the work and the connection is reset before the
 * answer), then `up` runs again from what the engine would have recorded
 * (the error's id and properties, or nothing). Every run must converge,
 * with no device outside state and the token in no error or log. Prints
 * the table: faults injected, converged, orphans, secrets found.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { MetalDeviceInputs } from "../../components/pulumi/metal/metal-device-inputs";
import {
  METAL_TOKEN_ENV,
  metalDeviceProvider,
} from "../../components/pulumi/metal/metal-device-provider";
import {
  startFakeMetalApi,
  type FakeMetalApi,
  type FakeMetalFault,
} from "../helpers/fake-metal-api";

type Recorded = Error & { id?: string; properties?: Record<string, unknown> };

interface Row {
  resource: string;
  injected: number;
  converged: number;
  orphans: number;
  secrets: number;
}
const rows: Row[] = [];

let api: FakeMetalApi;

before(async () => {
  api = await startFakeMetalApi({ advance: "gets", token: `tok-${process.pid}-faults` });
  process.env[METAL_TOKEN_ENV] = api.token;
  process.env.LINUXKIT_METAL_RETRY_BASE_MS = "1";
  process.chdir(await mkdtemp(path.join(os.tmpdir(), "lk-faults-metal-")));
});
after(async () => {
  delete process.env[METAL_TOKEN_ENV];
  await api.close();
  const head = "resource        faults  converged  orphans  secrets";
  const lines = rows.map(
    (r) =>
      `${r.resource.padEnd(15)} ${String(r.injected).padStart(6)} ${String(r.converged).padStart(10)} ${String(r.orphans).padStart(8)} ${String(r.secrets).padStart(8)}`,
  );
  process.stdout.write(`\nMetal fault injection\n${head}\n${lines.join("\n")}\n`);
});

/** The n-th API call from now (1-based) fails as `kind` says. */
function faultAt(n: number, kind: "503" | "reset"): FakeMetalFault {
  let seen = 0;
  let hit = false;
  const match = (): boolean => {
    if (hit) return kind === "503"; // 503 persists until the retries run out
    seen++;
    hit = seen === n;
    return hit;
  };
  return kind === "503"
    ? { status: 503, match, times: 5 }
    : { kind: "reset", after: true, match, times: 1 };
}

function reset(): void {
  api.clearFaults();
  for (const id of [...api.devices.keys()]) api.deleteBehindBack(id);
}

/** API calls a clean run of `f` makes. */
async function callsOf(f: () => Promise<unknown>): Promise<number> {
  reset();
  const from = api.requests.length;
  await f();
  return api.requests.length - from;
}

function leaks(err: unknown): number {
  const text = `${err instanceof Error ? `${err.message} ${JSON.stringify(err)}` : ""} ${JSON.stringify(api.requests)}`;
  return text.includes(api.token) ? 1 : 0;
}

describe("fault injection: Metal", { concurrency: false }, () => {
  it("MetalDevice converges after a fault at every API call, with no orphan", async () => {
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
    const calls = await callsOf(() => metalDeviceProvider.create(inputs));
    const row: Row = { resource: "MetalDevice", injected: 0, converged: 0, orphans: 0, secrets: 0 };
    rows.push(row);
    for (let n = 1; n <= calls; n++) {
      for (const kind of ["503", "reset"] as const) {
        reset();
        api.inject(faultAt(n, kind));
        row.injected++;
        let state: { id: string; outs: Record<string, unknown> } | undefined;
        try {
          const r = await metalDeviceProvider.create(inputs);
          state = { id: r.id, outs: r.outs as unknown as Record<string, unknown> };
        } catch (e) {
          const err = e as Recorded;
          row.secrets += leaks(e);
          if (err.id !== undefined) state = { id: err.id, outs: err.properties ?? {} };
        }
        api.clearFaults();
        // up again: update what was recorded (if the diff asks), or create anew.
        if (state === undefined) {
          const r = await metalDeviceProvider.create(inputs);
          state = { id: r.id, outs: r.outs as unknown as Record<string, unknown> };
        } else if (
          (await metalDeviceProvider.diff(state.id, state.outs as never, inputs)).changes
        ) {
          const r = await metalDeviceProvider.update(state.id, state.outs as never, inputs);
          state = { id: state.id, outs: r.outs as unknown as Record<string, unknown> };
        }
        const orphans = [...api.devices.keys()].filter((id) => id !== state!.id).length;
        row.orphans += orphans;
        if (state.outs.state === "active" && api.devices.get(state.id)?.state === "active") {
          row.converged++;
        }
      }
    }
    assert.deepEqual(
      { converged: row.converged, orphans: row.orphans, secrets: row.secrets },
      { converged: row.injected, orphans: 0, secrets: 0 },
    );
  });
});

/**
 * Runs one operation of the QemuVm or QemuFleet provider in its own
 * process, as the Pulumi engine's provider process runs it, and can
 * SIGKILL itself at a chosen step: right after the n-th durable journal
 * write of a fleet, or right after the n-th qemu has daemonized (before
 * anything recorded it). The fault tier runs it with `child_process`:
 *
 *   node provider-child.js REQUEST.json   (writes REQUEST.json.result)
 *
 * The hooks wrap the providers' own functions (the compiled modules look
 * them up at each call), so the provider runs unchanged up to the kill.
 */
import { readFileSync, writeFileSync } from "node:fs";

import * as journal from "../../components/fleet/fleet-journal";
import * as vmProcess from "../../components/qemu/vm-process";
import { qemuFleetProvider } from "../../components/pulumi/fleet/qemu-fleet-provider";
import { qemuVmProvider } from "../../components/pulumi/qemu/qemu-vm-provider";

export interface ChildRequest {
  provider: "vm" | "fleet";
  op: "create" | "update" | "read" | "delete";
  inputs?: Record<string, unknown>;
  id?: string;
  olds?: Record<string, unknown>;
  /** SIGKILL right after the n-th journal write, or the n-th qemu start. */
  kill?: { after: "journal" | "qemu-start"; n: number };
}

export type ChildResult =
  | { ok: true; id?: string; outs?: Record<string, unknown> }
  | { ok: false; message: string; id?: string; properties?: Record<string, unknown> };

/** Wraps `mod[key]` so that its n-th completed call ends the process with SIGKILL. */
function killAfter(mod: Record<string, unknown>, key: string, n: number): void {
  const original = mod[key] as (...args: unknown[]) => Promise<unknown>;
  let calls = 0;
  mod[key] = async (...args: unknown[]) => {
    const result = await original(...args);
    if (++calls === n) process.kill(process.pid, "SIGKILL");
    return result;
  };
}

async function run(req: ChildRequest): Promise<ChildResult> {
  if (req.kill?.after === "journal") {
    killAfter(journal as unknown as Record<string, unknown>, "writeJournal", req.kill.n);
  } else if (req.kill?.after === "qemu-start") {
    killAfter(vmProcess as unknown as Record<string, unknown>, "launchVm", req.kill.n);
  }
  const p = (req.provider === "vm" ? qemuVmProvider : qemuFleetProvider) as unknown as Record<
    string,
    (...args: unknown[]) => Promise<Record<string, unknown>>
  >;
  try {
    switch (req.op) {
      case "create": {
        const r = await p.create!(req.inputs);
        return { ok: true, id: r.id as string, outs: r.outs as Record<string, unknown> };
      }
      case "update": {
        const r = await p.update!(req.id, req.olds, req.inputs);
        return { ok: true, id: req.id, outs: r.outs as Record<string, unknown> };
      }
      case "read": {
        const r = await p.read!(req.id, req.olds);
        return r.id === undefined
          ? { ok: true }
          : { ok: true, id: r.id as string, outs: r.props as Record<string, unknown> };
      }
      case "delete":
        await p.delete!(req.id, req.olds);
        return { ok: true };
    }
  } catch (e) {
    const err = e as Error & { id?: string; properties?: Record<string, unknown> };
    return {
      ok: false,
      message: err.message,
      ...(err.id === undefined ? {} : { id: err.id }),
      ...(err.properties === undefined ? {} : { properties: err.properties }),
    };
  }
}

if (require.main === module) {
  const file = process.argv[2]!;
  const req = JSON.parse(readFileSync(file, "utf8")) as ChildRequest;
  run(req).then(
    (r) => writeFileSync(`${file}.result`, JSON.stringify(r)),
    (e: unknown) => {
      process.stderr.write(`provider-child: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

import type { FleetState } from "./fleet-state";

/** The journal's file name in a fleet's folder. */
export const JOURNAL_FILE = "fleet.json";

/**
 * A fleet's journal: its state written (atomically) after every change of a
 * rollout, beside its machines. It is the source of truth when it exists:
 * a rollout cut short (crash, cancel, an engine that drops a failed
 * update's outputs) still left an exact record of every machine it started
 * or stopped, and the next operation reads it back.
 */
export async function writeJournal<M>(fleetDir: string, state: FleetState<M>): Promise<void> {
  const file = path.join(fleetDir, JOURNAL_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}

/** The journal's state, or undefined when there is none (a fleet folder removed by hand). */
export async function readJournal<M>(fleetDir: string): Promise<FleetState<M> | undefined> {
  try {
    return JSON.parse(await readFile(path.join(fleetDir, JOURNAL_FILE), "utf8")) as FleetState<M>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

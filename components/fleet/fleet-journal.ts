import { open, readFile, rename } from "node:fs/promises";
import path from "node:path";

import type { FleetState } from "./fleet-state";

/** The journal's file name in a fleet's folder. */
export const JOURNAL_FILE = "fleet.json";

/**
 * A fleet's journal: its state written after every change of a rollout,
 * beside its machines. It is the source of truth when it exists: a rollout
 * cut short (crash, cancel, an engine that drops a failed update's outputs)
 * still left an exact record of every machine it started or stopped, and
 * the next operation reads it back. Each write is durable before the
 * rollout moves on: the data is fsynced, renamed over the old journal, and
 * the folder fsynced, so a power cut leaves the old or the new journal,
 * never a torn one.
 */
export async function writeJournal<M>(fleetDir: string, state: FleetState<M>): Promise<void> {
  const file = path.join(fleetDir, JOURNAL_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(fleetDir, "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * The journal's state, or undefined when there is none (a fleet folder
 * removed by hand) or it cannot be read as a state (torn by an older
 * version, edited by hand): such a file is renamed aside
 * (`fleet.json.torn-<time>`), `log` says so, and the caller falls back to
 * Pulumi's record, as for a missing journal.
 */
export async function readJournal<M>(
  fleetDir: string,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<FleetState<M> | undefined> {
  const file = path.join(fleetDir, JOURNAL_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const state = JSON.parse(text) as FleetState<M>;
    if (state !== null && typeof state === "object" && Array.isArray(state.slots)) return state;
  } catch {
    /* set aside below */
  }
  const aside = `${file}.torn-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  await rename(file, aside);
  log(
    `fleet journal ${file} is unreadable: moved to ${aside}; using the state Pulumi recorded (run \`pulumi refresh\` to check the machines)`,
  );
  return undefined;
}

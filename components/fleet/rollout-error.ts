import type { FleetState, RolloutFailure } from "./fleet-state";

/** One line per slot: `slot 0: <image> healthy`. */
export function describeSlots(state: FleetState<unknown>): string {
  if (state.slots.length === 0) return "  (no machines)";
  return state.slots
    .map((s) => `  slot ${s.slot}: image ${s.image.slice(0, 12)} ${s.health}`)
    .join("\n");
}

/**
 * A rollout stopped by a machine that failed its health check (or did not
 * start). `state` is exactly what runs now: record it, and the next run
 * resumes from there.
 */
export class RolloutError<M> extends Error {
  readonly failures: RolloutFailure[];
  readonly state: FleetState<M>;

  constructor(failures: RolloutFailure[], state: FleetState<M>) {
    const first = failures[0]!;
    const tail =
      first.consoleTail.length === 0
        ? "  (no console output)"
        : first.consoleTail.map((l) => `  | ${l}`).join("\n");
    const others =
      failures.length > 1
        ? `\nAlso failed in the same wave: ${failures
            .slice(1)
            .map((f) => `${f.machine} (slot ${f.slot}): ${f.reason}`)
            .join("; ")}`
        : "";
    super(
      `rollout stopped: machine ${first.machine} (slot ${first.slot}, image ${first.image.slice(0, 12)}) ${first.reason}.` +
        `\nLast console lines:\n${tail}${others}` +
        `\nThe fleet now runs (machines not yet replaced keep serving):\n${describeSlots(state)}` +
        `\nFix the image and run again: the rollout resumes from here (the previous image rolls back the same way).`,
    );
    this.name = "RolloutError";
    this.failures = failures;
    this.state = state;
  }
}

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

  /** A rollout stopped by an error that is not a machine's (API, host): `state` is what runs now. */
  static interrupted<M>(e: unknown, state: FleetState<M>): RolloutError<M> {
    const reason = e instanceof Error ? e.message : String(e);
    const err = new RolloutError<M>(
      [{ slot: -1, image: "", machine: "", reason, consoleTail: [] }],
      state,
    );
    err.message =
      `rollout interrupted: ${reason}` +
      `\nThe fleet now runs (every machine started so far is recorded):\n${describeSlots(state)}` +
      `\nRun again once the cause is fixed: the rollout resumes from here.`;
    err.cause = e;
    return err;
  }
}

/**
 * What a fleet is made of, as recorded in state: one record per occupied
 * slot, each naming the image its machine runs and the machine itself (a
 * target-specific, JSON-serialisable handle).
 */

/** `healthy`: passed its check; `dead`: gone (found by refresh); `unhealthy`: kept after a failed check. */
export type SlotHealth = "healthy" | "dead" | "unhealthy";

export interface SlotRecord<M> {
  slot: number;
  /** Content hash of the image the machine boots. */
  image: string;
  machine: M;
  health: SlotHealth;
  /** Seconds from the start of the machine to its passed health check. */
  readySeconds?: number;
  /**
   * A healthy surge machine that owns the slot but has not taken over the
   * slot's place yet (ports, on qemu): the next run promotes it again.
   */
  promoting?: boolean;
}

/** A surge machine started beside a slot's machine and not yet promoted. */
export interface SurgeRecord<M> {
  slot: number;
  surgeIndex: number;
  image: string;
  machine: M;
}

/** A start journaled before it began (see FleetAdapter.intend), until its machine is recorded. */
export interface StartingRecord {
  slot: number;
  surgeIndex?: number;
  image: string;
  intent: Readonly<Record<string, string | number>>;
}

/** A health check that stopped a rollout. */
export interface RolloutFailure {
  slot: number;
  image: string;
  /** The machine, as its adapter names it. */
  machine: string;
  reason: string;
  /** Last console lines of the machine. */
  consoleTail: string[];
}

export interface FleetState<M> {
  /** Occupied slots, in slot order, at most one record per slot. */
  slots: SlotRecord<M>[];
  /**
   * Surge machines in flight. Empty between runs unless a run was cut
   * short (crash, cancel): the next run stops them first.
   */
  surge?: SurgeRecord<M>[];
  /**
   * Machines replaced by a promoted surge machine and not yet stopped. A
   * run cut short leaves them; the next run stops them first (the slot's
   * new machine runs, so this never empties a slot).
   */
  retiring?: SlotRecord<M>[];
  /**
   * Starts in flight: journaled before the machine was started, dropped once
   * it is recorded in its slot or surge place. Empty between runs unless a
   * run was cut short mid-start: the next run stops what they left first.
   */
  starting?: StartingRecord[];
  /** Why the last rollout stopped, when it did. */
  failure?: RolloutFailure;
}

/** The planner's view of a slot: no machine handles, so the planner stays pure. */
export interface SlotView {
  slot: number;
  image: string;
  health: SlotHealth;
}

export function viewOf<M>(state: FleetState<M>): SlotView[] {
  return state.slots.map(({ slot, image, health }) => ({ slot, image, health }));
}

/** The state with `record` in its slot (replacing any record there), in slot order. */
export function withSlot<M>(state: FleetState<M>, record: SlotRecord<M>): FleetState<M> {
  const slots = state.slots.filter((r) => r.slot !== record.slot).concat(record);
  slots.sort((a, b) => a.slot - b.slot);
  return { ...state, slots };
}

/** The state with `slot` empty. */
export function withoutSlot<M>(state: FleetState<M>, slot: number): FleetState<M> {
  return { ...state, slots: state.slots.filter((r) => r.slot !== slot) };
}

/** True when slots 0..size-1 all run `image` healthily and nothing else runs. */
export function converged(view: SlotView[], size: number, image: string): boolean {
  return (
    view.length === size &&
    view.every((s) => s.slot < size && s.image === image && s.health === "healthy")
  );
}

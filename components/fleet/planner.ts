import type { SlotView } from "./fleet-state";
import type { RolloutPolicy } from "./rollout-policy";

/** Where the fleet should end up. */
export interface Target {
  /** Number of slots. */
  size: number;
  /** Content hash of the image every slot should run. */
  image: string;
}

/** One thing to do to one slot; a wave is a list of them, done together. */
export type Step =
  /** A slot at or beyond `size`: stop its machine and forget the slot. */
  | { op: "remove"; slot: number }
  /** An empty slot: start a machine on the target image. */
  | { op: "fill"; slot: number }
  /** A dead or unhealthy slot (already missing): replace its machine in place. */
  | { op: "repair"; slot: number }
  /**
   * A healthy slot on another image: start a surge machine (surge position
   * `surgeIndex`) beside it; once that is healthy, the old machine stops and
   * the new one takes the slot.
   */
  | { op: "surge"; slot: number; surgeIndex: number }
  /** A healthy slot on another image: take it down, then replace it in place. */
  | { op: "inPlace"; slot: number };

/**
 * The next wave of a rollout, or `[]` when the fleet is where it should be.
 * Pure: the executor calls it again after every wave, so a rollout resumes
 * from whatever state an earlier, interrupted one left.
 *
 * Order: slots beyond `size` go first (all at once); then empty, dead and
 * unhealthy slots are filled, `maxSurge + maxUnavailable` at a time (they
 * are missing already: filling them never takes a healthy machine away);
 * then healthy slots on another image are replaced, lowest slot first,
 * `maxSurge` beside their old machine and `maxUnavailable` in place. Slots
 * already healthy on the target image are never touched.
 */
export function nextWave(view: SlotView[], target: Target, policy: RolloutPolicy): Step[] {
  const beyond = view.filter((s) => s.slot >= target.size);
  if (beyond.length > 0) return beyond.map((s) => ({ op: "remove", slot: s.slot }));

  const inFlight = Math.max(1, policy.maxSurge + policy.maxUnavailable);
  const bySlot = new Map(view.map((s) => [s.slot, s]));
  const repairs: Step[] = [];
  for (let slot = 0; slot < target.size && repairs.length < inFlight; slot++) {
    const s = bySlot.get(slot);
    if (s === undefined) repairs.push({ op: "fill", slot });
    else if (s.health !== "healthy") repairs.push({ op: "repair", slot });
  }
  if (repairs.length > 0) return repairs;

  const outdated = view.filter((s) => s.image !== target.image).map((s) => s.slot);
  const surge = outdated.slice(0, policy.maxSurge);
  const inPlace = outdated.slice(surge.length, surge.length + policy.maxUnavailable);
  return [
    ...surge.map((slot, surgeIndex): Step => ({ op: "surge", slot, surgeIndex })),
    ...inPlace.map((slot): Step => ({ op: "inPlace", slot })),
  ];
}

/** The view after a wave in which every new machine passed its health check. */
export function afterWave(view: SlotView[], steps: Step[], image: string): SlotView[] {
  let next = view;
  for (const step of steps) {
    next = next.filter((s) => s.slot !== step.slot);
    if (step.op !== "remove") next = [...next, { slot: step.slot, image, health: "healthy" }];
  }
  return next.sort((a, b) => a.slot - b.slot);
}

/** Every wave of a rollout in which every health check passes (for previews and tests). */
export function planRollout(view: SlotView[], target: Target, policy: RolloutPolicy): Step[][] {
  const waves: Step[][] = [];
  let current = view;
  for (;;) {
    const wave = nextWave(current, target, policy);
    if (wave.length === 0) return waves;
    waves.push(wave);
    current = afterWave(current, wave, target.image);
  }
}

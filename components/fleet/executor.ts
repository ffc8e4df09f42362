import type { FleetAdapter, StartRequest } from "./fleet-adapter";
import {
  viewOf,
  withSlot,
  withoutSlot,
  type FleetState,
  type RolloutFailure,
  type SlotRecord,
  type StartingRecord,
  type SurgeRecord,
} from "./fleet-state";
import { nextWave, type Step, type Target } from "./planner";
import { RolloutError } from "./rollout-error";
import type { RolloutPolicy } from "./rollout-policy";

export interface RolloutHooks<M> {
  /** Called after every change, with the whole state: persist it (a journal survives a crash). */
  onState?(state: FleetState<M>): void | Promise<void>;
  /** Progress lines (`slot 2: image ab12… healthy after 9.1 s`). */
  log?(message: string): void;
}

/** A machine started in the current wave, waiting for its health check. */
interface Started<M> {
  step: Step;
  machine: M;
  startedAt: number;
}

/**
 * Runs waves from {@link nextWave} until the fleet is where `target` says.
 * Resolves with the final state; rejects with a {@link RolloutError} holding
 * the exact state when a machine fails to start or to become healthy.
 * `hooks.onState` sees every intermediate state.
 */
export async function rollout<M>(
  adapter: FleetAdapter<M>,
  initial: FleetState<M>,
  target: Target,
  policy: RolloutPolicy,
  hooks: RolloutHooks<M> = {},
): Promise<FleetState<M>> {
  const start: FleetState<M> = { slots: initial.slots };
  if (initial.surge !== undefined) start.surge = initial.surge;
  if (initial.retiring !== undefined) start.retiring = initial.retiring;
  if (initial.starting !== undefined) start.starting = initial.starting;
  const run = new WaveRunner(adapter, start, hooks);
  try {
    await run.recoverStarting();
    await run.stopRetiring();
    await run.stopLeftoverSurge();
    await run.resumePromotions();
    for (;;) {
      const wave = nextWave(viewOf(run.state), target, policy);
      if (wave.length === 0) {
        await run.save({ slots: run.state.slots });
        return run.state;
      }
      await run.wave(wave, target.image);
    }
  } catch (e) {
    if (e instanceof RolloutError) throw e;
    // An API or host error (a stop that failed, a journal that could not be written):
    // the state as it stands goes with it, so nothing started so far is forgotten.
    throw RolloutError.interrupted<M>(e, run.state);
  }
}

/** Marks machines that no longer run as `dead` (refresh). */
export async function refreshState<M>(
  adapter: FleetAdapter<M>,
  state: FleetState<M>,
): Promise<FleetState<M>> {
  const slots = await Promise.all(
    state.slots.map(async (s): Promise<SlotRecord<M>> =>
      s.health === "healthy" && !(await adapter.alive(s.machine)) ? { ...s, health: "dead" } : s,
    ),
  );
  return { ...state, slots };
}

/** Stops every machine of the fleet, surge machines and starts cut short included. */
export async function stopAll<M>(adapter: FleetAdapter<M>, state: FleetState<M>): Promise<void> {
  const machines = [...state.slots, ...(state.surge ?? []), ...(state.retiring ?? [])].map(
    (r) => r.machine,
  );
  await Promise.all([
    ...machines.map((m) => adapter.stop(m)),
    ...(state.starting ?? []).map((r) => adapter.recoverStarting?.(r.intent)),
  ]);
}

/** The state with `starting` as its starts in flight (the field dropped when empty). */
function withStarting<M>(state: FleetState<M>, starting: StartingRecord[]): FleetState<M> {
  const next: FleetState<M> = { ...state, starting };
  if (starting.length === 0) delete next.starting;
  return next;
}

/** The state without the start record `rec` (undefined: no record was made). */
function startDone<M>(state: FleetState<M>, rec: StartingRecord | undefined): FleetState<M> {
  if (rec === undefined) return state;
  return withStarting(
    state,
    (state.starting ?? []).filter((r) => r !== rec),
  );
}

/** The state with `retiring` as its retiring machines (the field dropped when empty). */
function withRetiring<M>(state: FleetState<M>, retiring: SlotRecord<M>[]): FleetState<M> {
  const next: FleetState<M> = { ...state, retiring };
  if (retiring.length === 0) delete next.retiring;
  return next;
}

function startFailure(step: Step, image: string, e: unknown): RolloutFailure {
  return {
    slot: step.slot,
    image,
    machine: `for slot ${step.slot} (not started)`,
    reason: `did not start: ${e instanceof Error ? e.message : String(e)}`,
    consoleTail: [],
  };
}

class WaveRunner<M> {
  constructor(
    private readonly adapter: FleetAdapter<M>,
    public state: FleetState<M>,
    private readonly hooks: RolloutHooks<M>,
  ) {}

  /** Persisted one after another, in order, even when machines of a wave change together. */
  private saving: Promise<void> = Promise.resolve();

  async save(state: FleetState<M>): Promise<void> {
    this.state = state;
    this.saving = this.saving.then(() => this.hooks.onState?.(state));
    await this.saving;
  }

  private record(slot: number): SlotRecord<M> | undefined {
    return this.state.slots.find((s) => s.slot === slot);
  }

  /**
   * Stops what starts a cut-short run journaled but never recorded left
   * behind (a machine started just before the crash): its slot is then
   * empty or keeps its old machine, and the planner starts it again.
   */
  async recoverStarting(): Promise<void> {
    for (const r of this.state.starting ?? []) {
      this.hooks.log?.(`slot ${r.slot}: stopping what a start cut short left behind`);
      await this.adapter.recoverStarting?.(r.intent);
      await this.save(startDone(this.state, r));
    }
  }

  /**
   * Starts a machine, journaled as starting first when the adapter can name
   * it beforehand. A failed start leaves nothing: what it may have left is
   * stopped and the record dropped.
   */
  private async begin(req: StartRequest): Promise<{ machine: M; rec?: StartingRecord }> {
    const intent = this.adapter.intend?.(req);
    if (intent === undefined) return { machine: await this.adapter.start(req) };
    const rec: StartingRecord = { slot: req.slot, image: req.image, intent };
    if (req.surgeIndex !== undefined) rec.surgeIndex = req.surgeIndex;
    await this.save(withStarting(this.state, [...(this.state.starting ?? []), rec]));
    try {
      return { machine: await this.adapter.start(req, intent), rec };
    } catch (e) {
      await this.adapter.recoverStarting?.(intent).catch(() => undefined);
      await this.save(startDone(this.state, rec));
      throw e;
    }
  }

  /** Stops machines a cut-short promotion left running beside their slot's new machine. */
  async stopRetiring(): Promise<void> {
    for (const r of this.state.retiring ?? []) {
      this.hooks.log?.(`slot ${r.slot}: stopping the machine a promotion replaced`);
      await this.adapter.stop(r.machine);
      const retiring = (this.state.retiring ?? []).filter((x) => x !== r);
      await this.save(withRetiring(this.state, retiring));
    }
  }

  /** Finishes promotions a cut-short run left: the machine runs, it only needs its slot's place. */
  async resumePromotions(): Promise<void> {
    for (const r of this.state.slots.filter((s) => s.promoting === true)) {
      const done: SlotRecord<M> = {
        slot: r.slot,
        image: r.image,
        machine: r.machine,
        health: "healthy",
      };
      if (r.readySeconds !== undefined) done.readySeconds = r.readySeconds;
      if (!(await this.adapter.alive(r.machine))) {
        await this.save(withSlot(this.state, { ...done, health: "dead" }));
        continue;
      }
      try {
        if (this.adapter.promote) done.machine = await this.adapter.promote(r.machine, r.slot);
        await this.save(withSlot(this.state, done));
        this.hooks.log?.(
          `slot ${r.slot}: promotion of ${this.adapter.describe(r.machine)} finished`,
        );
      } catch (e) {
        // Still running on its surge place: recorded unhealthy, the planner replaces it.
        this.hooks.log?.(
          `slot ${r.slot}: promotion failed again: ${e instanceof Error ? e.message : String(e)}`,
        );
        await this.save(withSlot(this.state, { ...done, health: "unhealthy" }));
      }
    }
  }

  async stopLeftoverSurge(): Promise<void> {
    for (const s of this.state.surge ?? []) {
      this.hooks.log?.(`slot ${s.slot}: stopping surge machine left by an interrupted run`);
      await this.adapter.stop(s.machine);
      await this.save({ ...this.state, surge: (this.state.surge ?? []).filter((x) => x !== s) });
    }
  }

  async wave(steps: Step[], image: string): Promise<void> {
    const failures: RolloutFailure[] = [];
    // Slots leaving the fleet, and slots replaced in place without `reimage`: machines stop first.
    // A dead machine cannot be re-imaged: it is replaced.
    const takeDown = steps.filter(
      (s) =>
        s.op === "remove" ||
        ((s.op === "inPlace" || s.op === "repair") &&
          (!this.adapter.reimage || this.record(s.slot)?.health === "dead")),
    );
    await Promise.all(
      takeDown.map(async (s) => {
        const old = this.record(s.slot);
        if (old !== undefined) await this.adapter.stop(old.machine);
      }),
    );
    let afterStop = this.state;
    for (const s of takeDown) afterStop = withoutSlot(afterStop, s.slot);
    if (takeDown.length > 0) await this.save(afterStop);

    const outcomes = await Promise.all(
      steps
        .filter((s) => s.op !== "remove")
        .map((s) => this.startFor(s, image).catch((e: unknown) => startFailure(s, image, e))),
    );
    const started: Started<M>[] = [];
    for (const o of outcomes) {
      if ("reason" in o) failures.push(o);
      else started.push(o);
    }

    const results = await Promise.all(
      started.map(async (s) => ({
        s,
        problem: await this.adapter
          .health(s.machine)
          .catch(
            (e: unknown) => `could not be checked: ${e instanceof Error ? e.message : String(e)}`,
          ),
      })),
    );
    for (const { s, problem } of results.sort((a, b) => a.s.step.slot - b.s.step.slot)) {
      if (problem === undefined) await this.healthy(s, image);
      else failures.push(await this.unhealthy(s, image, problem));
    }
    if (failures.length > 0) {
      failures.sort((a, b) => a.slot - b.slot);
      await this.save({ ...this.state, failure: failures[0] });
      throw new RolloutError(failures, this.state);
    }
  }

  private async startFor(step: Step, image: string): Promise<Started<M>> {
    const startedAt = Date.now();
    if (step.op === "surge") {
      const { machine, rec: starting } = await this.begin({
        slot: step.slot,
        image,
        surgeIndex: step.surgeIndex,
      });
      const rec: SurgeRecord<M> = {
        slot: step.slot,
        surgeIndex: step.surgeIndex,
        image,
        machine,
      };
      // One write: the machine is recorded and its start record dropped together.
      await this.save(
        startDone({ ...this.state, surge: [...(this.state.surge ?? []), rec] }, starting),
      );
      this.hooks.log?.(
        `slot ${step.slot}: surge machine ${this.adapter.describe(machine)} started`,
      );
      return { step, machine, startedAt };
    }
    const old = this.record(step.slot);
    const { machine, rec: starting } =
      old !== undefined && this.adapter.reimage
        ? { machine: await this.adapter.reimage(old.machine, image) }
        : await this.begin({ slot: step.slot, image });
    // Not yet proven healthy: a crash from here on leaves it recorded, and repaired next run.
    await this.save(
      startDone(
        withSlot(this.state, { slot: step.slot, image, machine, health: "unhealthy" }),
        starting,
      ),
    );
    this.hooks.log?.(`slot ${step.slot}: machine ${this.adapter.describe(machine)} started`);
    return { step, machine, startedAt };
  }

  private async healthy(s: Started<M>, image: string): Promise<void> {
    const readySeconds = Math.round((Date.now() - s.startedAt) / 100) / 10;
    let machine = s.machine;
    if (s.step.op === "surge") {
      // First the journal: the new machine owns the slot (promotion pending) and the old one
      // is retiring. A run cut short from here on stops the old one and promotes the new one;
      // it never stops the only machine of the slot.
      const old = this.record(s.step.slot);
      const surge = (this.state.surge ?? []).filter((r) => r.machine !== s.machine);
      const retiring = [...(this.state.retiring ?? []), ...(old === undefined ? [] : [old])];
      await this.save(
        withSlot(withRetiring({ ...this.state, surge }, retiring), {
          slot: s.step.slot,
          image,
          machine,
          health: "unhealthy",
          readySeconds,
          promoting: true,
        }),
      );
      if (old !== undefined) {
        await this.adapter.stop(old.machine);
        const left = (this.state.retiring ?? []).filter((r) => r !== old);
        await this.save(withRetiring(this.state, left));
      }
      if (this.adapter.promote) machine = await this.adapter.promote(machine, s.step.slot);
    }
    await this.save(
      withSlot(this.state, { slot: s.step.slot, image, machine, health: "healthy", readySeconds }),
    );
    this.hooks.log?.(
      `slot ${s.step.slot}: ${this.adapter.describe(machine)} healthy after ${readySeconds} s`,
    );
  }

  private async unhealthy(s: Started<M>, image: string, reason: string): Promise<RolloutFailure> {
    const consoleTail = await this.adapter.consoleTail(s.machine);
    const failure: RolloutFailure = {
      slot: s.step.slot,
      image,
      machine: this.adapter.describe(s.machine),
      reason,
      consoleTail,
    };
    if (s.step.op === "surge") {
      await this.adapter.stop(s.machine);
      const surge = (this.state.surge ?? []).filter((r) => r.machine !== s.machine);
      await this.save({ ...this.state, surge });
    } else if (!this.adapter.keepFailed) {
      await this.adapter.stop(s.machine);
      await this.save(withoutSlot(this.state, s.step.slot));
    }
    this.hooks.log?.(`slot ${s.step.slot}: ${failure.machine} ${reason}`);
    return failure;
  }
}

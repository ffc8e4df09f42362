/**
 * An in-memory fleet target for the rollout engine's tests. It keeps the
 * truth (which machines run, which are healthy) apart from the engine's
 * state, logs every call, and after each call samples how many machines
 * serve, so invariants can be checked at every moment of a rollout.
 */
import type {
  FleetAdapter,
  FleetState,
  SlotHealth,
  StartIntent,
  StartRequest,
} from "../../components/fleet";

export interface FakeMachine {
  id: number;
  slot: number;
  image: string;
  surgeIndex?: number;
}

interface Truth extends FakeMachine {
  healthy: boolean;
}

export type FakeEvent =
  | { kind: "start"; id: number; slot: number; surgeIndex?: number }
  | { kind: "reimage"; id: number; slot: number }
  | { kind: "health"; id: number; slot: number; ok: boolean }
  | { kind: "stop"; id: number; slot: number }
  | { kind: "promote"; id: number; slot: number };

export interface Sample {
  /** Running, healthy machines (surge machines included) for slots below `size`. */
  serving: number;
  /** Running machines (surge machines included) for slots below `size`. */
  running: number;
  /** Machines started and not yet checked. */
  pending: number;
}

export interface FakeOptions {
  /** `qemu`: stop+start in place, surge + promote. `metal`: reimage in place, failed devices kept. */
  mode: "qemu" | "metal";
  /** Slots counted in samples. */
  size: number;
  /** The health check of the n-th started (or reimaged) machine fails, 1-based. */
  failNth?: number;
  /** Starts of these slots throw. */
  failStartSlots?: number[];
  /** The first N promotions throw (a QMP failure), leaving the machine on its surge ports. */
  failPromotes?: number;
  /** Name each machine before its start (FleetAdapter.intend), as qemu does. */
  intents?: boolean;
  /** The n-th start (1-based) makes its machine, then the process "dies" ({@link FakeCrash}). */
  crashAtStart?: number;
}

/**
 * Thrown where the process running a rollout would have died; from then on
 * the fake changes nothing ({@link FakeFleet.dead}), as a dead process
 * would not: what was journaled before is all a next run has.
 */
export class FakeCrash extends Error {}

export class FakeFleet implements FleetAdapter<FakeMachine> {
  readonly truth = new Map<number, Truth>();
  readonly events: FakeEvent[] = [];
  readonly samples: Sample[] = [];
  readonly pending = new Set<number>();
  readonly keepFailed: boolean;
  private nextId = 1;
  private begun = 0;
  private promoteFailures = 0;
  private readonly failing = new Set<number>();
  readonly promote?: FleetAdapter<FakeMachine>["promote"];
  readonly reimage?: FleetAdapter<FakeMachine>["reimage"];
  readonly intend?: FleetAdapter<FakeMachine>["intend"];
  readonly recoverStarting?: FleetAdapter<FakeMachine>["recoverStarting"];
  private starts = 0;
  /** Set by {@link FakeOptions.crashAtStart}: the "process" died, later calls do nothing. */
  dead = false;

  constructor(private readonly opts: FakeOptions) {
    this.keepFailed = opts.mode === "metal";
    if (opts.intents === true) {
      this.intend = () => ({ id: this.nextId++ });
      this.recoverStarting = async (intent) => {
        await tick();
        if (this.dead) return;
        const t = this.truth.get(Number(intent.id));
        if (t !== undefined) await this.stop(t);
      };
    }
    if (opts.mode === "qemu") {
      this.promote = async (m, slot) => {
        await tick();
        if ((this.opts.failPromotes ?? 0) > this.promoteFailures) {
          this.promoteFailures++;
          throw new Error("QMP hostfwd_add failed: connection reset");
        }
        const t = this.truth.get(m.id)!;
        delete t.surgeIndex;
        this.log({ kind: "promote", id: m.id, slot });
        return { id: m.id, slot, image: m.image };
      };
    } else {
      this.reimage = async (m, image) => {
        await tick();
        const t = this.truth.get(m.id);
        if (t === undefined) throw new Error(`device ${m.id} is gone`);
        t.image = image;
        t.healthy = false;
        this.mark(m.id);
        this.log({ kind: "reimage", id: m.id, slot: m.slot });
        return { ...m, image };
      };
    }
  }

  /** Takes over what runs on `other` (a later run against the same world). */
  continueFrom(other: FakeFleet): this {
    for (const [id, t] of other.truth) this.truth.set(id, t);
    this.nextId = other.nextId;
    return this;
  }

  /** Seeds the world and returns the engine state recording it. */
  seed(slots: { slot: number; image: string; health: SlotHealth }[]): FleetState<FakeMachine> {
    const state: FleetState<FakeMachine> = { slots: [] };
    for (const s of slots) {
      const m: FakeMachine = { id: this.nextId++, slot: s.slot, image: s.image };
      if (s.health !== "dead") this.truth.set(m.id, { ...m, healthy: s.health === "healthy" });
      state.slots.push({ ...s, machine: m });
    }
    return state;
  }

  private mark(id: number): void {
    this.begun++;
    this.pending.add(id);
    if (this.opts.failNth === this.begun) this.failing.add(id);
  }

  private log(e: FakeEvent): void {
    this.events.push(e);
    const inFleet = [...this.truth.values()].filter((t) => t.slot < this.opts.size);
    this.samples.push({
      serving: inFleet.filter((t) => t.healthy).length,
      running: inFleet.length,
      pending: this.pending.size,
    });
  }

  async start(req: StartRequest, intent?: StartIntent): Promise<FakeMachine> {
    await tick();
    if (this.opts.failStartSlots?.includes(req.slot)) throw new Error("port already in use");
    const id = intent === undefined ? this.nextId++ : Number(intent.id);
    const m: FakeMachine = { id, slot: req.slot, image: req.image };
    if (req.surgeIndex !== undefined) m.surgeIndex = req.surgeIndex;
    this.truth.set(m.id, { ...m, healthy: false });
    this.mark(m.id);
    this.log({ kind: "start", id: m.id, slot: req.slot, surgeIndex: req.surgeIndex });
    if (++this.starts === this.opts.crashAtStart) {
      this.dead = true;
      throw new FakeCrash(`died after starting ${id}`);
    }
    return m;
  }

  async health(m: FakeMachine): Promise<string | undefined> {
    await tick();
    const t = this.truth.get(m.id);
    const ok = t !== undefined && !this.failing.has(m.id);
    if (t !== undefined && ok) t.healthy = true;
    this.pending.delete(m.id);
    this.log({ kind: "health", id: m.id, slot: m.slot, ok });
    return ok ? undefined : "never answered on port 80";
  }

  async stop(m: FakeMachine): Promise<void> {
    await tick();
    if (this.dead) return;
    this.truth.delete(m.id);
    this.pending.delete(m.id);
    this.log({ kind: "stop", id: m.id, slot: m.slot });
  }

  async alive(m: FakeMachine): Promise<boolean> {
    return this.truth.has(m.id);
  }

  describe(m: FakeMachine): string {
    return `fake-${m.id}`;
  }

  async consoleTail(m: FakeMachine): Promise<string[]> {
    return [`console of fake-${m.id}`];
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

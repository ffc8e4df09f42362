/**
 * The rollout engine over a fake target, exhaustively: every fleet of up to
 * 3 slots in every mix of image and health, grown or shrunk to 0-4 slots,
 * under every policy with surge and unavailable 0-2, on a qemu-like target
 * (surge, stop+start) and a Metal-like one (reimage in place), with and
 * without a health check failing. At every moment the fake samples what
 * really runs; the invariants of the rollout vocabulary are checked on it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  RolloutError,
  refreshState,
  rollout,
  stopAll,
  type FleetState,
  type RolloutPolicy,
  type SlotHealth,
} from "../../../components/fleet";
import { FakeFleet, type FakeMachine } from "../../helpers/fake-fleet-adapter";

type SlotKind = "A" | "B" | "A-dead" | "A-unhealthy" | "empty";
const KINDS: SlotKind[] = ["A", "B", "A-dead", "A-unhealthy", "empty"];

function* fleets(maxSize: number): Generator<SlotKind[]> {
  for (let n = 0; n <= maxSize; n++) {
    const total = KINDS.length ** n;
    for (let code = 0; code < total; code++) {
      const kinds: SlotKind[] = [];
      for (let i = 0, c = code; i < n; i++, c = Math.floor(c / KINDS.length)) {
        kinds.push(KINDS[c % KINDS.length]!);
      }
      yield kinds;
    }
  }
}

function seedOf(kinds: SlotKind[]): { slot: number; image: string; health: SlotHealth }[] {
  return kinds.flatMap((k, slot) => {
    if (k === "empty") return [];
    const health: SlotHealth =
      k === "A-dead" ? "dead" : k === "A-unhealthy" ? "unhealthy" : "healthy";
    return [{ slot, image: k === "B" ? "B" : "A", health }];
  });
}

const POLICIES: RolloutPolicy[] = [];
for (let s = 0; s <= 2; s++)
  for (let u = 0; u <= 2; u++) if (s + u > 0) POLICIES.push({ maxSurge: s, maxUnavailable: u });

interface Case {
  kinds: SlotKind[];
  size: number;
  policy: RolloutPolicy;
  mode: "qemu" | "metal";
}

function* cases(): Generator<Case> {
  for (const kinds of fleets(3))
    for (let size = 0; size <= 4; size++)
      for (const policy of POLICIES) {
        yield { kinds, size, policy, mode: "qemu" };
        if (policy.maxSurge === 0) yield { kinds, size, policy, mode: "metal" };
      }
}

const label = (c: Case): string =>
  `[${c.kinds.join(",")}] -> ${c.size} surge ${c.policy.maxSurge} unavailable ${c.policy.maxUnavailable} ${c.mode}`;

/** Checks what held at every moment of one rollout on `fake`. */
function checkMoments(c: Case, fake: FakeFleet, initialServing: number): void {
  const floor = Math.min(initialServing, c.size - c.policy.maxUnavailable);
  const inFlight = Math.max(1, c.policy.maxSurge + c.policy.maxUnavailable);
  for (const [i, s] of fake.samples.entries()) {
    assert.ok(s.serving >= floor, `${label(c)}: ${s.serving} serving < ${floor} at event ${i}`);
    assert.ok(
      s.running <= c.size + c.policy.maxSurge,
      `${label(c)}: ${s.running} running > size + maxSurge at event ${i}`,
    );
    assert.ok(s.pending <= inFlight, `${label(c)}: ${s.pending} booting at once at event ${i}`);
  }
  // A wave's machines all pass (or fail) health before the next wave starts anything.
  let checking = false;
  const pending = new Set<number>();
  for (const e of fake.events) {
    if (e.kind === "start" || e.kind === "reimage") {
      assert.ok(!checking, `${label(c)}: machine ${e.id} started while a wave was being checked`);
      pending.add(e.id);
    } else if (e.kind === "health") {
      pending.delete(e.id);
      checking = pending.size > 0;
    }
  }
}

/** The engine's state says exactly what runs. */
function checkStateIsTruth(c: Case, fake: FakeFleet, state: FleetState<FakeMachine>): void {
  assert.deepEqual(state.surge ?? [], [], `${label(c)}: surge machines left`);
  const recorded = state.slots.filter((s) => s.health !== "dead").map((s) => s.machine.id);
  assert.deepEqual(
    [...fake.truth.keys()].sort((a, b) => a - b),
    recorded.sort((a, b) => a - b),
    `${label(c)}: running machines differ from state`,
  );
  for (const s of state.slots) {
    const t = fake.truth.get(s.machine.id);
    if (s.health === "healthy") assert.ok(t?.healthy, `${label(c)}: slot ${s.slot} not healthy`);
    if (t !== undefined) assert.equal(t.image, s.image, `${label(c)}: slot ${s.slot} image`);
  }
}

function checkConverged(c: Case, fake: FakeFleet, state: FleetState<FakeMachine>): void {
  assert.deepEqual(
    state.slots.map((s) => [s.slot, s.image, s.health]),
    Array.from({ length: c.size }, (_, i) => [i, "B", "healthy"]),
    label(c),
  );
  checkStateIsTruth(c, fake, state);
}

describe("rollout over a fake target", () => {
  it("converges every fleet under every policy, never below the floor, touching only what must change", async () => {
    let n = 0;
    for (const c of cases()) {
      const fake = new FakeFleet({ mode: c.mode, size: c.size });
      const initial = fake.seed(seedOf(c.kinds));
      const keep = initial.slots.filter(
        (s) => s.slot < c.size && s.image === "B" && s.health === "healthy",
      );
      const serving0 = initial.slots.filter(
        (s) => s.slot < c.size && s.health === "healthy",
      ).length;
      const journal: FleetState<FakeMachine>[] = [];
      const state = await rollout(fake, initial, { size: c.size, image: "B" }, c.policy, {
        onState: (s) => void journal.push(s),
      });
      checkConverged(c, fake, state);
      checkMoments(c, fake, serving0);
      for (const k of keep) {
        assert.ok(
          !fake.events.some((e) => e.id === k.machine.id),
          `${label(c)}: slot ${k.slot} was already on B and was touched`,
        );
      }
      const needed = Array.from({ length: c.size }, (_, i) => i).filter(
        (i) => !keep.some((k) => k.slot === i),
      ).length;
      const begun = fake.events.filter((e) => e.kind === "start" || e.kind === "reimage").length;
      assert.equal(begun, needed, `${label(c)}: ${begun} machines started for ${needed} slots`);
      assert.deepEqual(journal.at(-1), state, `${label(c)}: the journal ends on the final state`);
      n++;
    }
    assert.ok(n > 5000, `${n} cases`);
  });

  it("a failed health check stops the rollout with the exact state; old machines keep serving; the next run completes", async () => {
    let failures = 0;
    for (const c of cases()) {
      for (const failNth of [1, 2, 3]) {
        const fake = new FakeFleet({ mode: c.mode, size: c.size, failNth });
        const initial = fake.seed(seedOf(c.kinds));
        const serving0 = initial.slots.filter(
          (s) => s.slot < c.size && s.health === "healthy",
        ).length;
        const oldA = initial.slots.filter(
          (s) => s.slot < c.size && s.image === "A" && s.health === "healthy",
        );
        let state: FleetState<FakeMachine>;
        try {
          state = await rollout(fake, initial, { size: c.size, image: "B" }, c.policy);
        } catch (e) {
          assert.ok(e instanceof RolloutError, `${label(c)}: ${String(e)}`);
          failures++;
          const failedStart = fake.events.find((x) => x.kind === "health" && !x.ok)!;
          assert.equal(
            e.failures[0]!.slot,
            failedStart.slot,
            `${label(c)}: names the failed machine's slot`,
          );
          assert.match(e.message, new RegExp(`fake-${failedStart.id} \\(slot ${failedStart.slot}`));
          assert.match(e.message, new RegExp(`console of fake-${failedStart.id}`));
          assert.deepEqual(e.state.failure, e.failures[0]);
          checkMoments(c, fake, serving0);
          checkStateIsTruth(c, fake, e.state);
          // Every old machine the rollout had not replaced still runs and serves.
          const replaced = new Set(
            e.state.slots
              .filter((s) => s.image === "B" && s.health === "healthy")
              .map((s) => s.slot),
          );
          for (const o of oldA) {
            if (replaced.has(o.slot) || o.slot === failedStart.slot) continue;
            const stoppedInPlace = fake.events.some(
              (x) => x.kind === "stop" && x.id === o.machine.id,
            );
            if (!stoppedInPlace)
              assert.ok(fake.truth.get(o.machine.id)?.healthy, `${label(c)}: slot ${o.slot}`);
          }
          const resumed = new FakeFleet({ mode: c.mode, size: c.size }).continueFrom(fake);
          state = await rollout(resumed, e.state, { size: c.size, image: "B" }, c.policy);
          checkConverged(c, resumed, state);
          continue;
        }
        checkConverged(c, fake, state);
      }
    }
    assert.ok(failures > 1000, `${failures} failed rollouts`);
  });

  it("rolls back to the previous image the same way after a failure", async () => {
    const c: Case = {
      kinds: ["A", "A", "A"],
      size: 3,
      policy: { maxSurge: 1, maxUnavailable: 1 },
      mode: "qemu",
    };
    const fake = new FakeFleet({ mode: "qemu", size: 3, failNth: 3 });
    const initial = fake.seed(seedOf(c.kinds));
    const err = await rollout(fake, initial, { size: 3, image: "B" }, c.policy).catch(
      (e: RolloutError<FakeMachine>) => e,
    );
    assert.ok(err instanceof RolloutError);
    assert.deepEqual(
      err.state.slots.map((s) => [s.slot, s.image]),
      [
        [0, "B"],
        [1, "B"],
        [2, "A"],
      ],
      "slot 2's surge machine failed: slot 2 keeps its old machine; 0 and 1 are on B",
    );
    const back = new FakeFleet({ mode: "qemu", size: 3 }).continueFrom(fake);
    const state = await rollout(back, err.state, { size: 3, image: "A" }, c.policy);
    assert.deepEqual(
      state.slots.map((s) => [s.slot, s.image, s.health]),
      [
        [0, "A", "healthy"],
        [1, "A", "healthy"],
        [2, "A", "healthy"],
      ],
    );
  });

  it("a machine that does not start stops the rollout, naming its slot", async () => {
    const fake = new FakeFleet({ mode: "qemu", size: 2, failStartSlots: [1] });
    const initial = fake.seed([
      { slot: 0, image: "A", health: "healthy" },
      { slot: 1, image: "A", health: "healthy" },
    ]);
    const err = await rollout(
      fake,
      initial,
      { size: 2, image: "B" },
      { maxSurge: 1, maxUnavailable: 0 },
    ).catch((e: unknown) => e);
    assert.ok(err instanceof RolloutError);
    assert.equal(err.failures[0]!.slot, 1);
    assert.match(err.message, /did not start: port already in use/);
    assert.deepEqual(
      err.state.slots.map((s) => [s.slot, s.image, s.health]),
      [
        [0, "B", "healthy"],
        [1, "A", "healthy"],
      ],
    );
  });

  it("refresh marks machines that stopped running as dead; the next run repairs only them", async () => {
    const fake = new FakeFleet({ mode: "qemu", size: 3 });
    const initial = fake.seed(
      ["A", "A", "A"].map((image, slot) => ({ slot, image, health: "healthy" as const })),
    );
    fake.truth.delete(initial.slots[1]!.machine.id);
    const refreshed = await refreshState(fake, initial);
    assert.deepEqual(
      refreshed.slots.map((s) => s.health),
      ["healthy", "dead", "healthy"],
    );
    const state = await rollout(
      fake,
      refreshed,
      { size: 3, image: "A" },
      { maxSurge: 1, maxUnavailable: 0 },
    );
    assert.deepEqual(
      fake.events.map((e) => [e.kind, e.slot]),
      [
        ["stop", 1],
        ["start", 1],
        ["health", 1],
      ],
    );
    assert.equal(state.slots[0]!.machine.id, initial.slots[0]!.machine.id);
    await stopAll(fake, state);
    assert.equal(fake.truth.size, 0, "stopAll leaves nothing running");
  });

  it("surge machines left by an interrupted run are stopped first", async () => {
    const fake = new FakeFleet({ mode: "qemu", size: 1 });
    const initial = fake.seed([{ slot: 0, image: "A", health: "healthy" }]);
    const orphan = await fake.start({ slot: 0, image: "B", surgeIndex: 0 });
    const state = await rollout(
      fake,
      { ...initial, surge: [{ slot: 0, surgeIndex: 0, image: "B", machine: orphan }] },
      { size: 1, image: "A" },
      { maxSurge: 1, maxUnavailable: 0 },
    );
    assert.equal(fake.truth.has(orphan.id), false);
    assert.deepEqual(state.surge, undefined);
  });

  it("a promotion that fails never leaves a slot without a machine (issue 19, finding 5)", async () => {
    const first = new FakeFleet({ mode: "qemu", size: 1, failPromotes: 1 });
    const initial = first.seed([{ slot: 0, image: "A", health: "healthy" }]);
    const policy = { maxSurge: 1, maxUnavailable: 0 };
    const err = await rollout(first, initial, { size: 1, image: "B" }, policy).then(
      () => assert.fail("the promotion failed: the rollout must stop"),
      (e: unknown) => e as RolloutError<FakeMachine>,
    );
    assert.ok(err instanceof RolloutError);
    assert.equal(first.truth.size, 1, "the new machine runs");
    const [live] = [...first.truth.values()];
    // The next run starts from the recorded state: it must not stop the only live machine.
    const second = new FakeFleet({ mode: "qemu", size: 1 }).continueFrom(first);
    const state = await rollout(second, err.state, { size: 1, image: "B" }, policy);
    assert.ok(
      second.samples.every((s) => s.running >= 1),
      `a machine runs at every moment: ${JSON.stringify(second.events)}`,
    );
    assert.deepEqual(
      state.slots.map((s) => [s.slot, s.image, s.health]),
      [[0, "B", "healthy"]],
    );
    assert.equal(
      state.slots[0]!.machine.id,
      live!.id,
      "the surviving machine was promoted, not replaced",
    );
    assert.deepEqual(state.surge, undefined);
  });
});

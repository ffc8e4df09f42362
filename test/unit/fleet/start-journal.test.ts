/**
 * A start is journaled before it begins (issue 19, finding 7). The engine
 * used to start a machine and only then journal it: a run that died in
 * between left a machine no state knew of, holding its slot's ports until
 * destroy. Now the journal names the machine first (FleetAdapter.intend);
 * a run killed right after the start leaves a `starting` record, and the
 * next run (or destroy) stops what it names before anything else. Checked
 * on every start of a rollout, on both the surge and the stop+start path:
 * after the next run, every machine that runs is one the state records.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { rollout, stopAll, type FleetState, type RolloutPolicy } from "../../../components/fleet";
import { FakeFleet, type FakeMachine } from "../../helpers/fake-fleet-adapter";

const SIZE = 3;

/** Machine ids the state records anywhere. */
function recorded(state: FleetState<FakeMachine>): number[] {
  return [...state.slots, ...(state.surge ?? []), ...(state.retiring ?? [])]
    .map((r) => r.machine.id)
    .sort((a, b) => a - b);
}

/** Runs a rollout that dies at its n-th start; returns the world and the last journal written. */
async function crashAt(
  n: number,
  policy: RolloutPolicy,
): Promise<{ fleet: FakeFleet; journal: FleetState<FakeMachine>; crashed: boolean }> {
  const fleet = new FakeFleet({ mode: "qemu", size: SIZE, intents: true, crashAtStart: n });
  let journal = fleet.seed([0, 1, 2].map((slot) => ({ slot, image: "A", health: "healthy" })));
  await rollout(fleet, journal, { size: SIZE, image: "B" }, policy, {
    // A dead process writes nothing more.
    onState: (s) => void (fleet.dead ? undefined : (journal = structuredClone(s))),
  }).catch((e: unknown) => {
    if (!fleet.dead) throw e;
  });
  return { fleet, journal, crashed: fleet.dead };
}

const POLICIES: [string, RolloutPolicy][] = [
  ["surge", { maxSurge: 1, maxUnavailable: 0 }],
  ["stop+start", { maxSurge: 0, maxUnavailable: 1 }],
];

describe("a run that dies right after starting a machine", () => {
  for (const [path, policy] of POLICIES) {
    it(`leaves no machine unknown to the next run (${path}, every start)`, async () => {
      for (let n = 1; n <= SIZE; n++) {
        const { fleet, journal, crashed } = await crashAt(n, policy);
        assert.ok(crashed, `start ${n} was reached`);
        assert.equal(journal.starting?.length, 1, `start ${n} is journaled as starting`);
        const next = new FakeFleet({ mode: "qemu", size: SIZE, intents: true }).continueFrom(fleet);
        const final = await rollout(next, journal, { size: SIZE, image: "B" }, policy);
        assert.equal(final.starting, undefined);
        const running = [...next.truth.keys()].sort((a, b) => a - b);
        assert.deepEqual(running, recorded(final), `start ${n}: nothing runs outside state`);
        assert.deepEqual(
          final.slots.map((s) => [s.slot, s.image, s.health]),
          [0, 1, 2].map((slot) => [slot, "B", "healthy"]),
        );
      }
    });
  }

  it("destroy stops what a start cut short left", async () => {
    const { fleet, journal } = await crashAt(1, POLICIES[0]![1]);
    const next = new FakeFleet({ mode: "qemu", size: SIZE, intents: true }).continueFrom(fleet);
    await stopAll(next, journal);
    assert.deepEqual([...next.truth.keys()], []);
  });

  it("a start that fails drops its record and leaves nothing running", async () => {
    const fleet = new FakeFleet({ mode: "qemu", size: SIZE, intents: true, failStartSlots: [1] });
    const seeded = fleet.seed([0, 1, 2].map((slot) => ({ slot, image: "A", health: "healthy" })));
    let journal = seeded;
    await assert.rejects(
      rollout(fleet, seeded, { size: SIZE, image: "B" }, POLICIES[1]![1], {
        onState: (s) => void (journal = structuredClone(s)),
      }),
    );
    assert.equal(journal.starting, undefined);
    assert.deepEqual(
      [...fleet.truth.keys()].sort((a, b) => a - b),
      recorded(journal),
    );
  });
});

/**
 * The rollout planner is pure: these cases pin the waves it plans for the
 * shapes users hit (surge, in place, both, size changes, repairs), and the
 * policy checks that guard it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  nextWave,
  planRollout,
  policyProblems,
  rolloutPolicy,
  type SlotView,
} from "../../../components/fleet";
import { LinuxKitError } from "../../../components/errors/errors";

const on = (image: string, n: number): SlotView[] =>
  Array.from({ length: n }, (_, slot) => ({ slot, image, health: "healthy" }));

describe("rolloutPolicy", () => {
  it("defaults to one surge machine and no slot down", () => {
    assert.deepEqual(rolloutPolicy({}), { maxSurge: 1, maxUnavailable: 0 });
  });
  it("rejects both 0, saying why and what to set", () => {
    assert.throws(
      () => rolloutPolicy({ maxSurge: 0, maxUnavailable: 0 }),
      (e: LinuxKitError) =>
        e.code === "USAGE" && /both 0/.test(e.message) && /maxUnavailable: 1/.test(e.message),
    );
  });
  it("rejects negative and fractional values and sizes", () => {
    assert.equal(policyProblems({ maxSurge: -1 }).length, 1);
    assert.equal(policyProblems({ maxUnavailable: 1.5 }).length, 1);
    assert.equal(policyProblems({}, -2).length, 1);
    assert.deepEqual(policyProblems({ maxSurge: 2, maxUnavailable: 1 }, 3), []);
  });
});

describe("planRollout", () => {
  it("surge 1, unavailable 0: one slot at a time beside its old machine", () => {
    assert.deepEqual(planRollout(on("A", 3), { size: 3, image: "B" }, rolloutPolicy({})), [
      [{ op: "surge", slot: 0, surgeIndex: 0 }],
      [{ op: "surge", slot: 1, surgeIndex: 0 }],
      [{ op: "surge", slot: 2, surgeIndex: 0 }],
    ]);
  });
  it("surge 0, unavailable 1: in place, one slot at a time", () => {
    const waves = planRollout(
      on("A", 3),
      { size: 3, image: "B" },
      { maxSurge: 0, maxUnavailable: 1 },
    );
    assert.deepEqual(waves, [
      [{ op: "inPlace", slot: 0 }],
      [{ op: "inPlace", slot: 1 }],
      [{ op: "inPlace", slot: 2 }],
    ]);
  });
  it("surge 1, unavailable 1: two slots per wave", () => {
    const waves = planRollout(
      on("A", 3),
      { size: 3, image: "B" },
      { maxSurge: 1, maxUnavailable: 1 },
    );
    assert.deepEqual(waves, [
      [
        { op: "surge", slot: 0, surgeIndex: 0 },
        { op: "inPlace", slot: 1 },
      ],
      [{ op: "surge", slot: 2, surgeIndex: 0 }],
    ]);
  });
  it("surge 2: surge positions 0 and 1 in one wave", () => {
    assert.deepEqual(
      nextWave(on("A", 3), { size: 3, image: "B" }, { maxSurge: 2, maxUnavailable: 0 }),
      [
        { op: "surge", slot: 0, surgeIndex: 0 },
        { op: "surge", slot: 1, surgeIndex: 1 },
      ],
    );
  });
  it("growing adds slots and leaves the others alone", () => {
    assert.deepEqual(planRollout(on("A", 3), { size: 5, image: "A" }, rolloutPolicy({})), [
      [{ op: "fill", slot: 3 }],
      [{ op: "fill", slot: 4 }],
    ]);
  });
  it("shrinking removes the highest slots at once", () => {
    assert.deepEqual(planRollout(on("A", 3), { size: 1, image: "A" }, rolloutPolicy({})), [
      [
        { op: "remove", slot: 1 },
        { op: "remove", slot: 2 },
      ],
    ]);
  });
  it("a dead machine is repaired before any healthy one is replaced", () => {
    const view = on("A", 3).map((s) => (s.slot === 2 ? { ...s, health: "dead" as const } : s));
    assert.deepEqual(planRollout(view, { size: 3, image: "B" }, rolloutPolicy({}))[0], [
      { op: "repair", slot: 2 },
    ]);
  });
  it("a converged fleet needs nothing", () => {
    assert.deepEqual(nextWave(on("B", 3), { size: 3, image: "B" }, rolloutPolicy({})), []);
  });
  it("creating a fleet fills maxSurge + maxUnavailable slots per wave", () => {
    assert.deepEqual(planRollout([], { size: 3, image: "A" }, { maxSurge: 1, maxUnavailable: 1 }), [
      [
        { op: "fill", slot: 0 },
        { op: "fill", slot: 1 },
      ],
      [{ op: "fill", slot: 2 }],
    ]);
  });
});

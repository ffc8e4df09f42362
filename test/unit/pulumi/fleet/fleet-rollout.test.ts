/**
 * A fleet provider's stopped rollout becomes the `{ id, properties,
 * reasons }` error the engine records, and those properties survive the
 * provider protocol's Struct conversion (an `undefined` anywhere made the
 * SDK throw while answering, and `pulumi up` hung: regression).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { Struct } from "google-protobuf/google/protobuf/struct_pb";

import { runFleetRollout } from "../../../../components/pulumi/fleet/fleet-rollout";
import { FakeFleet } from "../../../helpers/fake-fleet-adapter";

describe("runFleetRollout", () => {
  it("throws the state a stopped rollout left as properties the protocol can carry", async () => {
    const fake = new FakeFleet({ mode: "qemu", size: 2, failNth: 2 });
    const state = fake.seed([
      { slot: 0, image: "A", health: "healthy" },
      { slot: 1, image: "A", health: "healthy" },
    ]);
    const err = (await runFleetRollout({
      label: "QemuFleet web",
      id: "fleet-1",
      adapter: fake,
      state,
      target: { size: 2, image: "B" },
      policy: { maxSurge: 1, maxUnavailable: 0 },
      outputs: (s, lastError) => ({ slots: s.slots, surge: s.surge, lastError, unset: undefined }),
    }).catch((e: unknown) => e)) as Error & { id: string; properties: object; reasons: string[] };
    assert.equal(err.id, "fleet-1");
    assert.match(err.message, /^QemuFleet web: rollout stopped: machine fake-4 \(slot 1/);
    assert.equal(err.reasons.length, 1);
    assert.match(
      err.reasons[0]!,
      /^rollout stopped: machine fake-4 \(slot 1, image B\) never answered on port 80\.\nLast console lines:\n {2}\| console of fake-4/,
    );
    assert.doesNotThrow(() => Struct.fromJavaScript(err.properties as never));
    const props = err.properties as { slots: { slot: number; image: string }[] };
    assert.deepEqual(
      props.slots.map((s) => [s.slot, s.image]),
      [
        [0, "B"],
        [1, "A"],
      ],
    );
  });
});

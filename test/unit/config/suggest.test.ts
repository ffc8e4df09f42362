import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { closestMatch, didYouMean, editDistance } from "../../../components/config/suggest";

describe("suggestions", () => {
  it("measures edit distance", () => {
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(editDistance("capabilites", "capabilities"), 1);
    assert.equal(editDistance("kitten", "sitting"), 3);
  });

  it("prefers a case-insensitive exact match", () => {
    assert.equal(closestMatch("oomscoreadj", ["oomScoreAdj", "oomScore"]), "oomScoreAdj");
  });

  it("suggests only plausible typos", () => {
    assert.equal(didYouMean("sevices", ["services", "onboot"]), "did you mean `services`?");
    assert.equal(
      didYouMean("outputs", ["kernel", "init", "onboot", "services", "files", "volumes"]),
      undefined,
    );
  });
});

/**
 * Container ids: 100 upwards through onboot, onshutdown, services (init
 * images get none), so uid/gid names resolve to that container's id.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  FIRST_CONTAINER_ID,
  loadSpecFiles,
  parseSpec,
  resolveContainerIds,
  resolveId,
} from "../../../components/config";
import { fixture } from "../../helpers/paths";

const entry = (name: string): { name: string; image: string } => ({ name, image: "alpine:3.20" });

describe("resolveContainerIds", () => {
  it("counts from 100 through onboot, onshutdown, then services", () => {
    const ids = resolveContainerIds({
      onboot: [entry("a"), entry("b")],
      onshutdown: [entry("c")],
      services: [entry("d"), entry("e")],
    });
    assert.equal(FIRST_CONTAINER_ID, 100);
    assert.deepEqual(
      [...ids],
      [
        ["a", 100],
        ["b", 101],
        ["c", 102],
        ["d", 103],
        ["e", 104],
      ],
    );
  });

  it("gives init images and volumes no id", () => {
    const { spec } = parseSpec(
      "init: [linuxkit/init:v1]\nvolumes: [{name: data}]\nservices: [{name: s, image: alpine:3.20}]\n",
      "t.yml",
    );
    assert.deepEqual([...resolveContainerIds(spec)], [["s", 100]]);
  });

  it("maps a repeated name to the id of its last use, as LinuxKit does", () => {
    const ids = resolveContainerIds({
      onboot: [entry("x"), entry("y")],
      onshutdown: [],
      services: [entry("x")],
    });
    assert.equal(ids.get("x"), 102);
    assert.equal(ids.get("y"), 101);
  });

  it("resolves the names used in the full fixture", async () => {
    const { spec } = await loadSpecFiles([fixture("spec", "valid", "full.yml")]);
    const ids = resolveContainerIds(spec);
    // onboot: sysctl, format; onshutdown: shutdown; services: redis, getty
    assert.equal(resolveId(spec.services[0]?.uid, ids), 103);
    assert.deepEqual(
      spec.services[0]?.additionalGids?.map((g) => resolveId(g, ids)),
      [100, 100],
    );
    assert.equal(resolveId(spec.files[1]?.uid, ids), 103);
    assert.equal(resolveId(spec.files[1]?.gid, ids), 0);
  });
});

describe("resolveId", () => {
  const ids = new Map([["redis", 103]]);
  for (const [label, value, expected] of [
    ["a number", 1000, 1000],
    ["unset", undefined, 0],
    ["the empty string", "", 0],
    ["root", "root", 0],
    ["a container name", "redis", 103],
    ["an unknown name", "nobody", undefined],
    ["a quoted number (a name to LinuxKit)", "1000", undefined],
  ] as const) {
    it(`resolves ${label}`, () => {
      assert.equal(resolveId(value, ids), expected);
    });
  }
});

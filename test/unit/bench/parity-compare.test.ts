import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  causeOf,
  compareRootfs,
  diffRootfs,
  type CompareContext,
  type EntrySummary,
} from "../../../bench/parity/compare";
import { normalName } from "../../../bench/parity/rootfs-summary";

const dir = (mode = 0o755, uid = 0): EntrySummary => ({ type: "directory", mode, uid, gid: 0 });
const file = (sha256: string, mode = 0o644): EntrySummary => ({
  type: "file",
  mode,
  uid: 0,
  gid: 0,
  sha256,
});
const link = (linkname: string, mode = 0o777): EntrySummary => ({
  type: "symlink",
  mode,
  uid: 0,
  gid: 0,
  linkname,
});
const json = (value: unknown): EntrySummary => ({
  type: "file",
  mode: 0o644,
  uid: 0,
  gid: 0,
  json: value,
});
const CTX: CompareContext = { files: ["etc/app/conf"], volumes: ["vola"] };
const CONFIG = "containers/onboot/000-test/config.json";

function config(ociVersion: string, source = "/check.sh"): unknown {
  return {
    ociVersion,
    process: { cwd: "/", user: { uid: 0, gid: 0 } },
    mounts: [{ destination: "/vola", type: "bind", source, options: ["rbind"] }],
  };
}

describe("parity compare: entries", () => {
  it("finds nothing when both trees are equal, JSON compared by value", () => {
    const tree = new Map([
      ["etc", dir()],
      [CONFIG, json(config("1.2.1"))],
    ]);
    const other = new Map([
      ["etc", dir()],
      [CONFIG, json(JSON.parse(JSON.stringify(config("1.2.1"))) as unknown)],
    ]);
    const r = compareRootfs(tree, other, CTX);
    assert.equal(r.identical, true);
    assert.equal(r.sameApartFromDeliberate, true);
    assert.deepEqual(r.differences, []);
  });

  it("reports each differing field, and paths on one side only, sorted by path", () => {
    const lk = new Map([
      ["a", file("1")],
      ["b", link("/x")],
      ["c", dir()],
    ]);
    const ours = new Map([
      ["b", link("/y", 0o755)],
      ["c", dir(0o700, 5)],
      ["d", file("2")],
    ]);
    assert.deepEqual(
      diffRootfs(lk, ours).map((d) => [d.path, d.fields]),
      [
        ["a", ["missing in ours"]],
        ["b", ["mode", "linkname"]],
        ["c", ["mode", "uid"]],
        ["d", ["missing in LinuxKit"]],
      ],
    );
  });

  it("normalises tar names: ./ and trailing slashes", () => {
    assert.equal(normalName("./etc/"), "etc");
    assert.equal(normalName("/containers/onboot/"), "containers/onboot");
    assert.equal(normalName("etc/mtab"), "etc/mtab");
  });
});

describe("parity compare: causes", () => {
  const cause = (
    path: string,
    lk: EntrySummary | undefined,
    ours: EntrySummary | undefined,
  ): string => {
    const [d] = diffRootfs(new Map(lk ? [[path, lk]] : []), new Map(ours ? [[path, ours]] : []));
    assert.ok(d, "a difference");
    return causeOf(d, CTX).id;
  };

  it("config.json differing only in ociVersion", () => {
    assert.equal(cause(CONFIG, json(config("1.2.1")), json(config("1.3.0"))), "oci-version");
  });

  it("config.json whose bind source is a volume name on LinuxKit's side and the merged dir on ours: deliberate", () => {
    const d = diffRootfs(
      new Map([[CONFIG, json(config("1.2.1", "vola"))]]),
      new Map([[CONFIG, json(config("1.2.1", "/containers/volumes/vola/merged"))]]),
    );
    const r = compareRootfs(
      new Map([[CONFIG, json(config("1.2.1", "vola"))]]),
      new Map([[CONFIG, json(config("1.2.1", "/containers/volumes/vola/merged"))]]),
      CTX,
    );
    assert.equal(causeOf(d[0]!, CTX).id, "mount-volume-name");
    assert.equal(r.identical, false);
    assert.equal(r.sameApartFromDeliberate, true);
  });

  it("any other config.json or runtime.json difference", () => {
    assert.equal(
      cause(CONFIG, json(config("1.2.1", "/a")), json(config("1.2.1", "/b"))),
      "config-json",
    );
    assert.equal(
      cause("containers/services/x/runtime.json", json({ mounts: [] }), json({})),
      "runtime-json",
    );
  });

  it("etc/mtab at any image root, not elsewhere", () => {
    for (const p of [
      "etc/mtab",
      "containers/services/x/lower/etc/mtab",
      "containers/onboot/001-y/rootfs/etc/mtab",
    ])
      assert.equal(cause(p, link("/proc/mounts"), link("/proc/mounts", 0o755)), "etc-mtab", p);
    assert.equal(cause("usr/etc/mtab", link("/a"), link("/b")), "other");
  });

  it("a volume image's etc/resolv.conf", () => {
    assert.equal(
      cause(
        "containers/volumes/vola/lower/etc/resolv.conf",
        link("/run/resolvconf/resolv.conf"),
        file("1"),
      ),
      "volume-resolv-conf",
    );
  });

  it("mode/owner of a directory above a files: entry is deliberate; of another directory it is not", () => {
    assert.equal(cause("etc/app", dir(0o700), dir(0o755)), "files-parent-mode");
    const r = compareRootfs(
      new Map([["etc/app", dir(0o700)]]),
      new Map([["etc/app", dir(0o755)]]),
      CTX,
    );
    assert.equal(r.sameApartFromDeliberate, true);
    assert.equal(
      cause("etc/app/conf", dir(0o700), dir(0o755)),
      "other",
      "the entry itself is not its parent",
    );
    assert.equal(cause("var", dir(0o700), dir(0o755)), "other");
  });

  it("dev, etc, proc, sys at an image root", () => {
    assert.equal(cause("containers/services/x/lower/proc", dir(0o555), dir()), "touched-dir");
    assert.equal(cause("sys", dir(0o555), dir()), "touched-dir");
  });

  it("a YAML with one non-deliberate difference is not the same", () => {
    const r = compareRootfs(
      new Map([
        ["etc/app", dir(0o700)],
        ["bin/x", file("1")],
      ]),
      new Map([
        ["etc/app", dir(0o755)],
        ["bin/x", file("2")],
      ]),
      CTX,
    );
    assert.equal(r.sameApartFromDeliberate, false);
    assert.deepEqual([...r.byCause.keys()].sort(), ["files-parent-mode", "other"]);
  });
});

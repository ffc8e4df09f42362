import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { isLinuxKitError } from "../../../components/errors/errors";
import { ociConfig, type OciContext } from "../../../components/rootfs/oci-config";
import type { OciMount } from "../../../components/rootfs/oci-types";
import type { ImageEntrySpec } from "../../../components/config/types";

const CTX: OciContext = {
  idFor: () => undefined,
  volumes: new Map([
    ["data", { readonly: false }],
    ["keys", { readonly: true }],
  ]),
};

function mounts(fields: Partial<ImageEntrySpec>): OciMount[] {
  const entry: ImageEntrySpec = { name: "m", image: "m:1", command: ["/m"], ...fields };
  return ociConfig(entry, { ref: "m:1", labels: {} }, CTX).config.mounts;
}

/** The mount at `destination`, failing the test when there is none. */
function at(list: OciMount[], destination: string): OciMount {
  const m = list.find((x) => x.destination === destination);
  assert.ok(m, `no mount at ${destination}`);
  return m;
}

function assertSpecError(fn: () => unknown, message: RegExp, field?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isLinuxKitError(e), `expected a LinuxKitError, got ${String(e)}`);
    assert.equal(e.code, "SPEC_INVALID");
    assert.match(e.message, message);
    if (field !== undefined) assert.equal(e.field, field);
    return true;
  });
}

describe("ociConfig mounts: binds", () => {
  const cases: Array<{ proves: string; bind: string; expected: OciMount }> = [
    {
      proves: "a bind without options is rw,rbind,rshared",
      bind: "/var/log:/var/log",
      expected: {
        destination: "/var/log",
        type: "bind",
        source: "/var/log",
        options: ["rw", "rbind", "rshared"],
      },
    },
    {
      proves: "a bind with options keeps them and appends rbind",
      bind: "/etc/ssl:/etc/ssl:ro,rslave",
      expected: {
        destination: "/etc/ssl",
        type: "bind",
        source: "/etc/ssl",
        options: ["ro", "rslave", "rbind"],
      },
    },
    {
      proves: "a source without a leading / names a volume, bound from its merged directory",
      bind: "data:/data",
      expected: {
        destination: "/data",
        type: "bind",
        source: "/containers/volumes/data/merged",
        options: ["rw", "rbind", "rshared"],
      },
    },
    {
      proves: "a read-only volume may be bound with ro, alongside other options",
      bind: "keys:/keys:ro,rshared",
      expected: {
        destination: "/keys",
        type: "bind",
        source: "/containers/volumes/keys/merged",
        options: ["ro", "rshared", "rbind"],
      },
    },
  ];
  for (const c of cases) {
    it(c.proves, () =>
      assert.deepEqual(at(mounts({ binds: [c.bind] }), c.expected.destination), c.expected),
    );
  }

  it("rejects binding a read-only volume read-write, naming the entry and the bind", () => {
    for (const bind of ["keys:/keys", "keys:/keys:rw", "keys:/keys:ro,rw"]) {
      assertSpecError(
        () => mounts({ binds: ["/a:/a", bind] }),
        new RegExp(`container "m": bind "${bind}" binds read-only volume "keys" read-write`),
        "binds[1]",
      );
    }
  });

  it("rejects an undeclared volume and malformed binds", () => {
    assertSpecError(
      () => mounts({ binds: ["nope:/x"] }),
      /volume "nope", which is not declared/,
      "binds[0]",
    );
    assertSpecError(() => mounts({ binds: ["/only"] }), /missing ':'/, "binds[0]");
    assertSpecError(() => mounts({ binds: ["/a:/b:ro:x"] }), /too many ':'/);
    assertSpecError(() => mounts({ binds: ["/a:"] }), /has no destination/);
  });
});

describe("ociConfig mounts: tmpfs and mounts", () => {
  it("a tmpfs entry is `dest[:opts]`", () => {
    const list = mounts({ tmpfs: ["/tmp", "/run:size=1m,mode=700"] });
    assert.deepEqual(at(list, "/tmp"), { destination: "/tmp", type: "tmpfs", source: "tmpfs" });
    assert.deepEqual(at(list, "/run").options, ["size=1m", "mode=700"]);
    assertSpecError(() => mounts({ tmpfs: ["/a:b:c"] }), /too many ':'/, "tmpfs[0]");
  });

  const inference: Array<{ proves: string; mount: ImageEntrySpec["mounts"]; expected: OciMount }> =
    [
      {
        proves: "a missing type is the source when the source is a kernel filesystem",
        mount: [{ source: "proc", destination: "/host/proc" }],
        expected: { destination: "/host/proc", type: "proc", source: "proc" },
      },
      {
        proves: "a missing destination is the type's usual place (mqueue → /dev/mqueue)",
        mount: [{ type: "mqueue" }],
        expected: { destination: "/dev/mqueue", type: "mqueue", source: "mqueue" },
      },
      {
        proves: "a mount on /dev without a type is a tmpfs, with its source defaulting to the type",
        mount: [{ destination: "/dev", options: ["rw"] }],
        expected: { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["rw"] },
      },
      {
        proves: "a bind mount from a volume is rewritten to the volume's merged directory",
        mount: [{ type: "bind", source: "data", destination: "/d", options: ["rbind"] }],
        expected: {
          destination: "/d",
          type: "bind",
          source: "/containers/volumes/data/merged",
          options: ["rbind"],
        },
      },
      {
        proves: "id mappings of a mount are written in OCI spelling",
        mount: [
          {
            type: "bind",
            source: "/s",
            destination: "/i",
            uidmappings: [{ containerID: 0, hostID: 1, size: 2 }],
          },
        ],
        expected: {
          destination: "/i",
          type: "bind",
          source: "/s",
          uidMappings: [{ containerID: 0, hostID: 1, size: 2 }],
        },
      },
    ];
  for (const c of inference) {
    it(c.proves, () =>
      assert.deepEqual(at(mounts({ mounts: c.mount }), c.expected.destination), c.expected),
    );
  }

  it("rejects a mount whose type or destination cannot be inferred", () => {
    assertSpecError(
      () => mounts({ mounts: [{ destination: "/x", source: "/y" }] }),
      /missing type/,
      "mounts[0]",
    );
    assertSpecError(
      () => mounts({ mounts: [{ type: "tmpfs" }] }),
      /missing destination/,
      "mounts[0]",
    );
  });

  it("rejects a read-write bind mount of a read-only volume", () => {
    assertSpecError(
      () =>
        mounts({
          mounts: [{ type: "bind", source: "keys", destination: "/k", options: ["rbind"] }],
        }),
      /read-only volume "keys" read-write/,
      "mounts[0]",
    );
    assert.equal(
      at(
        mounts({ mounts: [{ type: "bind", source: "keys", destination: "/k", options: ["ro"] }] }),
        "/k",
      ).source,
      "/containers/volumes/keys/merged",
    );
  });
});

describe("ociConfig mounts: order and overrides", () => {
  it("sorts every mount by destination, byte-wise (so /dev precedes /dev/pts)", () => {
    const list = mounts({ binds: ["/z:/zz", "/a:/a", "/d:/dev/shm"], tmpfs: ["/Upper"] });
    const destinations = list.map((m) => m.destination);
    assert.deepEqual(destinations, [
      "/Upper",
      "/a",
      "/dev",
      "/dev/pts",
      "/dev/shm",
      "/proc",
      "/sys",
      "/sys/fs/cgroup",
      "/zz",
    ]);
  });

  it("a later source replaces an earlier mount at the same destination: defaults < tmpfs < binds < mounts", () => {
    const list = mounts({
      tmpfs: ["/x", "/sys"],
      binds: ["/host:/x"],
      mounts: [{ type: "tmpfs", destination: "/x", options: ["size=1m"] }],
    });
    assert.deepEqual(at(list, "/x"), {
      destination: "/x",
      type: "tmpfs",
      source: "tmpfs",
      options: ["size=1m"],
    });
    assert.deepEqual(at(list, "/sys"), { destination: "/sys", type: "tmpfs", source: "tmpfs" });
    assert.equal(list.filter((m) => m.destination === "/x").length, 1);
  });
});

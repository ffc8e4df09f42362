import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

import {
  rootfsMounts,
  runtimeDefaults,
  runtimeJson,
} from "../../../components/rootfs/runtime-config";
import { fixture } from "../../helpers/paths";

const golden = (name: string): string => readFileSync(fixture("oci", name), "utf8");

describe("runtimeJson", () => {
  it("read-write: tmpfs on tmp, remounted private, then an overlay of the image onto rootfs (golden)", () => {
    const text = runtimeJson("containers/services/sshd", "containers/services/sshd/lower", false);
    assert.equal(text, golden("runtime-rw.json.golden"));
  });

  it("read-only: a bind of the image directory (here another bundle's) onto rootfs, then the entry's runtime (golden)", () => {
    const text = runtimeJson(
      "containers/onboot/001-dhcpcd",
      "containers/onboot/000-dhcpcd/rootfs",
      true,
      {
        cgroups: ["podruntime"],
        mounts: [
          {
            destination: "/var/lib/dhcpcd",
            type: "bind",
            source: "/run/dhcpcd",
            options: ["rbind", "rw"],
          },
        ],
        mkdir: ["/var/lib/dhcpcd"],
        interfaces: [
          { name: "eth1", add: "veth", peer: "eth2", createInRoot: true },
          { name: "eth0" },
        ],
        bindNS: { net: "/run/netns/dhcpcd" },
        namespace: "system",
      },
    );
    assert.equal(text, golden("runtime-ro.json.golden"));
  });

  it("accepts prefix and root with or without leading and trailing slashes", () => {
    assert.deepEqual(rootfsMounts("/containers/x/", "/containers/x/rootfs/", true), [
      { destination: "/containers/x/rootfs", source: "/containers/x/rootfs", options: ["bind"] },
    ]);
    assert.equal(
      runtimeJson("/containers/services/sshd/", "containers/services/sshd/lower", false),
      golden("runtime-rw.json.golden"),
    );
  });

  it("a read-only bundle bound from itself still gets the bind (runc wants rootfs to be a mount point)", () => {
    assert.deepEqual(
      rootfsMounts("containers/onboot/000-a", "containers/onboot/000-a/rootfs", true),
      [
        {
          destination: "/containers/onboot/000-a/rootfs",
          source: "/containers/onboot/000-a/rootfs",
          options: ["bind"],
        },
      ],
    );
  });

  it("lists the entry's runtime mounts after the rootfs mounts, as written", () => {
    const parsed = JSON.parse(
      runtimeJson("c/p", "c/p/lower", false, {
        mounts: [{ destination: "/m", type: "tmpfs", options: [] }],
      }),
    ) as { mounts: object[] };
    assert.equal(parsed.mounts.length, 4);
    assert.deepEqual(parsed.mounts[3], { destination: "/m", type: "tmpfs" });
  });
});

describe("runtimeDefaults", () => {
  it("fills every member with its empty value", () => {
    assert.deepEqual(runtimeDefaults(), {
      cgroups: [],
      mounts: [],
      mkdir: [],
      interfaces: [],
      bindNS: { cgroup: "", ipc: "", mnt: "", net: "", pid: "", user: "", uts: "" },
      namespace: "",
    });
  });
});

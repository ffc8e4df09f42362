/**
 * runtime.json takes the runtime section LinuxKit merges (image label <
 * YAML, member by member), as ConfigToOCI returns it: an image whose
 * `org.mobyproject.config` label asks for `runtime.mkdir` gets it without
 * the YAML repeating it (the 2017 seeds bind /tmp/etc relying on this).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { bundleFiles } from "../../../components/rootfs/bundle-config";
import type { LinuxKitSpec } from "../../../components/config/types";
import type { ResolvedImage } from "../../../components/sources/image-source";

const SPEC: LinuxKitSpec = {
  init: [],
  onboot: [],
  onshutdown: [],
  services: [],
  files: [],
  volumes: [],
};
const IMAGE: ResolvedImage = {
  ref: "linuxkit/dhcpcd:v1",
  id: "sha256:1",
  cmd: ["/sbin/dhcpcd"],
  labels: {
    "org.mobyproject.config": JSON.stringify({
      binds: ["/tmp/etc:/etc"],
      runtime: { mkdir: ["/tmp/etc"], cgroups: ["label"] },
    }),
  },
};
const ctx = { idFor: () => undefined, spec: SPEC };

function runtimeOf(entry: Parameters<typeof bundleFiles>[0]): Record<string, unknown> {
  const files = bundleFiles(entry, IMAGE, "services[0]", ctx);
  return JSON.parse(
    files.runtimeFor("containers/services/dhcpcd", "containers/services/dhcpcd/lower"),
  ) as Record<string, unknown>;
}

describe("bundleFiles: runtime.json", () => {
  it("uses the image label's runtime when the YAML has none", () => {
    const runtime = runtimeOf({ name: "dhcpcd", image: IMAGE.ref });
    assert.deepEqual(runtime.mkdir, ["/tmp/etc"]);
    assert.deepEqual(runtime.cgroups, ["label"]);
  });

  it("lets each YAML runtime member replace the label's, keeping the others", () => {
    const runtime = runtimeOf({ name: "dhcpcd", image: IMAGE.ref, runtime: { mkdir: ["/run/x"] } });
    assert.deepEqual(runtime.mkdir, ["/run/x"]);
    assert.deepEqual(runtime.cgroups, ["label"]);
  });
});

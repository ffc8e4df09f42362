import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { isLinuxKitError } from "../../../components/errors/errors";
import { ALL_CAPABILITIES } from "../../../components/rootfs/capabilities";
import { imageConfigFromDocker, mergeImageConfig } from "../../../components/rootfs/image-config";
import type { ImageInfo } from "../../../components/rootfs/image-info";
import type { ImageConfigSpec, ImageEntrySpec } from "../../../components/config/types";

const LABEL = "org.mobyproject.config";

function image(label?: string, fields: Partial<ImageInfo> = {}): ImageInfo {
  return { ref: "example/img:1", labels: label === undefined ? {} : { [LABEL]: label }, ...fields };
}

function yaml(fields: Partial<ImageEntrySpec> = {}): ImageEntrySpec {
  return { name: "svc", image: "example/img:1", ...fields };
}

describe("imageConfigFromDocker", () => {
  it("takes Entrypoint then Cmd as the command, and Env and WorkingDir as they are", () => {
    const d = imageConfigFromDocker(
      image(undefined, { entrypoint: ["/e"], cmd: ["c"], env: ["A=1"], workingDir: "/w" }),
    );
    assert.deepEqual(d, { args: ["/e", "c"], env: ["A=1"], cwd: "/w" });
  });

  it("parses and returns the org.mobyproject.config label", () => {
    const label = { capabilities: ["CAP_NET_ADMIN"], binds: ["/a:/a"], net: "host", uid: "other" };
    assert.deepEqual(imageConfigFromDocker(image(JSON.stringify(label))).label, label);
  });

  it("accepts flow-style YAML, as LinuxKit parses the label as YAML", () => {
    assert.deepEqual(imageConfigFromDocker(image("{readonly: true, pid: host}")).label, {
      readonly: true,
      pid: "host",
    });
  });

  it("treats an empty label as no label", () => {
    assert.equal(imageConfigFromDocker(image("")).label, undefined);
  });

  const bad: Array<{ proves: string; label: string; message: RegExp }> = [
    { proves: "text that does not parse", label: "{not json", message: /not valid JSON/ },
    {
      proves: "a value that is not an object",
      label: '["CAP_KILL"]',
      message: /must be a JSON object/,
    },
    {
      proves: "name or image set in the label",
      label: '{"name": "x", "image": "y"}',
      message: /name cannot be set.*image cannot be set/,
    },
    {
      proves: "an unknown field",
      label: '{"capabilites": []}',
      message: /capabilites: unknown field `capabilites`.*did you mean `capabilities`/,
    },
    {
      proves: "a mistyped field",
      label: '{"readonly": "yes"}',
      message: /readonly: expected a boolean/,
    },
    {
      proves: "a mistyped list item",
      label: '{"binds": ["/a:/a", 3]}',
      message: /binds\[1\]: expected a string/,
    },
    {
      proves: "an unknown nested field",
      label: '{"runtime": {"mkdirs": []}}',
      message: /runtime\.mkdirs: unknown field `mkdirs`/,
    },
    {
      proves: "an unknown capability (the same rules as the YAML)",
      label: '{"capabilities": ["CAP_FOO"]}',
      message: /capabilities\[0\]: unknown capability `CAP_FOO`/,
    },
    {
      proves: "a device without a path",
      label: '{"devices": [{"type": "c"}]}',
      message: /devices\[0\]\.path: device has no `path`/,
    },
  ];
  for (const c of bad) {
    it(`rejects a label with ${c.proves}, as SPEC_INVALID naming the image`, () => {
      assert.throws(
        () => imageConfigFromDocker(image(c.label)),
        (e: unknown) => {
          assert.ok(isLinuxKitError(e));
          assert.equal(e.code, "SPEC_INVALID");
          assert.equal(e.image, "example/img:1");
          assert.match(e.message, /example\/img:1/);
          assert.match(e.message, c.message);
          return true;
        },
      );
    });
  }
});

describe("mergeImageConfig: label < YAML", () => {
  const cases: Array<{
    proves: string;
    label?: ImageConfigSpec;
    yaml: Partial<ImageEntrySpec>;
    expected: Partial<ImageEntrySpec>;
  }> = [
    {
      proves: "without a label the YAML is taken as is",
      yaml: { command: ["/x"], readonly: true },
      expected: { command: ["/x"], readonly: true },
    },
    {
      proves: "a plain YAML list replaces the label's (no concatenation)",
      label: { binds: ["/l:/l"], capabilities: ["CAP_KILL"], env: ["L=1"] },
      yaml: { binds: ["/y:/y"], capabilities: ["CAP_CHOWN"], env: ["Y=1"] },
      expected: { binds: ["/y:/y"], capabilities: ["CAP_CHOWN"], env: ["Y=1"] },
    },
    {
      proves: "binds.add extends the label's binds, dropping duplicates",
      label: { binds: ["/l:/l", "/d:/d"] },
      yaml: { "binds.add": ["/d:/d", "/y:/y"] },
      expected: { binds: ["/l:/l", "/d:/d", "/y:/y"] },
    },
    {
      proves: "binds.add is ignored when the YAML also sets binds (LinuxKit: plain binds win)",
      label: { binds: ["/l:/l"] },
      yaml: { binds: ["/y:/y"], "binds.add": ["/a:/a"] },
      expected: { binds: ["/y:/y"] },
    },
    {
      proves: "capabilities.add alone becomes the list when the label has no capabilities",
      yaml: { "capabilities.add": ["CAP_NET_ADMIN"] },
      expected: { capabilities: ["CAP_NET_ADMIN"] },
    },
    {
      proves: "capabilities.add extends the label's capabilities",
      label: { capabilities: ["CAP_KILL"] },
      yaml: { "capabilities.add": ["CAP_NET_ADMIN", "CAP_KILL"] },
      expected: { capabilities: ["CAP_KILL", "CAP_NET_ADMIN"] },
    },
    {
      proves:
        "capabilities.add over a label's `all` keeps every capability (LinuxKit errors on all+X)",
      label: { capabilities: ["all"] },
      yaml: { "capabilities.add": ["CAP_NET_ADMIN"] },
      expected: { capabilities: [...ALL_CAPABILITIES] },
    },
    {
      proves: "capabilities.add over a label's `none` is just the added list",
      label: { capabilities: ["none"] },
      yaml: { "capabilities.add": ["CAP_KILL"] },
      expected: { capabilities: ["CAP_KILL"] },
    },
    {
      proves:
        "an empty YAML string counts as unset for cwd/net/hostname; other YAML values win even when falsy",
      label: { cwd: "/l", net: "new", hostname: "l", readonly: true, oomScoreAdj: 5 },
      yaml: { cwd: "", net: "", hostname: "y", readonly: false, oomScoreAdj: 0 },
      expected: { cwd: "/l", net: "new", hostname: "y", readonly: false, oomScoreAdj: 0 },
    },
    {
      proves: "runtime merges per member and bindNS per namespace",
      label: {
        runtime: { mkdir: ["/l"], namespace: "l", bindNS: { net: "/l/net", pid: "/l/pid" } },
      },
      yaml: { runtime: { namespace: "y", bindNS: { net: "/y/net" } } },
      expected: {
        runtime: { mkdir: ["/l"], namespace: "y", bindNS: { net: "/y/net", pid: "/l/pid" } },
      },
    },
  ];
  for (const c of cases) {
    it(c.proves, () => {
      assert.deepEqual(mergeImageConfig(yaml(c.yaml), c.label), yaml(c.expected));
    });
  }

  it("does not modify its inputs", () => {
    const label: ImageConfigSpec = { binds: ["/l:/l"] };
    const entry = yaml({ "binds.add": ["/y:/y"] });
    mergeImageConfig(entry, label);
    assert.deepEqual(label, { binds: ["/l:/l"] });
    assert.deepEqual(entry, yaml({ "binds.add": ["/y:/y"] }));
  });
});

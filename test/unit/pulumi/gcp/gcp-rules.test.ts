/**
 * The pure rules under the GCP components: Compute Engine names from
 * component names and content hashes, the digest that names a compute
 * image, object URLs, the regional rollout limits, and picking the gcp
 * artifact out of an Image's outputs.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";

import { LinuxKitError } from "../../../../components/errors/errors";
import {
  contentName,
  gceSlug,
  imageDigest,
  isGceName,
  objectUrl,
} from "../../../../components/pulumi/gcp/gcp-names";
import { checkRollout, defaultRollout } from "../../../../components/pulumi/gcp/gcp-rollout";
import { artifactOf, requireFormat } from "../../../../components/pulumi/gcp/image-artifact";

const HASH = "0123456789abcdef".repeat(4);

describe("GCE names", () => {
  it("slugs any component name into a valid Compute Engine name", () => {
    for (const [input, want] of [
      ["web", "web"],
      ["My_Web.App", "my-web-app"],
      ["9lives", "lk-9lives"],
      ["--x--", "x"],
      ["", "lk"],
      ["ÄÖÜ", "lk"],
    ] as const) {
      const got = gceSlug(input);
      assert.equal(got, want, input);
      assert.ok(isGceName(got), `${got} is valid`);
    }
    const long = gceSlug("a".repeat(100));
    assert.equal(long.length, 63);
    assert.ok(isGceName(long));
  });

  it("names content as <slug>-<16 hex digits>, at most 63 characters", () => {
    assert.equal(contentName("web", HASH), "web-0123456789abcdef");
    const long = contentName("x".repeat(80) + "-y", HASH);
    assert.equal(long.length, 63);
    assert.ok(long.endsWith("-0123456789abcdef"));
    assert.ok(isGceName(long));
    assert.throws(() => contentName("web", "not-hex"), /not a hex content hash/);
  });

  it("image digest: same artifact and settings, same digest; any change, another", () => {
    const a = imageDigest(HASH, { family: "f", licenses: [] });
    assert.equal(a, imageDigest(HASH, { licenses: [], family: "f" }), "key order does not matter");
    assert.notEqual(a, imageDigest("f".repeat(64), { family: "f", licenses: [] }));
    assert.notEqual(a, imageDigest(HASH, { family: "g", licenses: [] }));
    assert.notEqual(a, imageDigest(HASH, { family: "f", licenses: ["vmx"] }));
    assert.equal(
      imageDigest(HASH, { family: undefined }),
      imageDigest(HASH, { family: null }),
      "unset is unset",
    );
  });

  it("object URLs are storage.googleapis.com URLs with each path segment escaped", () => {
    assert.equal(
      objectUrl("bkt", "abc/web kernel"),
      "https://storage.googleapis.com/bkt/abc/web%20kernel",
    );
  });
});

describe("regional rollout limits", () => {
  it("defaults to a surge of one instance per zone and nothing unavailable", () => {
    assert.deepEqual(defaultRollout(3), { maxSurge: 3, maxUnavailable: 0 });
    assert.doesNotThrow(() => checkRollout({ ...defaultRollout(3), zones: 3 }));
  });

  it("accepts 0 or at least the number of zones, not both 0", () => {
    for (const ok of [
      { maxSurge: 3, maxUnavailable: 0 },
      { maxSurge: 0, maxUnavailable: 3 },
      { maxSurge: 6, maxUnavailable: 4 },
    ])
      assert.doesNotThrow(() => checkRollout({ ...ok, zones: 3 }), JSON.stringify(ok));
    for (const [bad, field] of [
      [{ maxSurge: 1, maxUnavailable: 0 }, "maxSurge"],
      [{ maxSurge: 2, maxUnavailable: 0 }, "maxSurge"],
      [{ maxSurge: 3, maxUnavailable: 1 }, "maxUnavailable"],
      [{ maxSurge: 0, maxUnavailable: 0 }, "maxSurge"],
      [{ maxSurge: -3, maxUnavailable: 0 }, "maxSurge"],
      [{ maxSurge: 3.5, maxUnavailable: 0 }, "maxSurge"],
    ] as const) {
      assert.throws(
        () => checkRollout({ ...bad, zones: 3 }),
        (e: unknown) => e instanceof LinuxKitError && e.code === "GCP_ARGS" && e.field === field,
        JSON.stringify(bad),
      );
    }
    assert.doesNotThrow(() => checkRollout({ maxSurge: 1, maxUnavailable: 0, zones: 1 }));
    assert.throws(() => checkRollout({ maxSurge: 1, maxUnavailable: 0, zones: 0 }), /zone/);
  });
});

describe("the gcp artifact of an Image", () => {
  const artifacts = [
    { format: "kernel+initrd", path: "imgs/h/web-kernel", sha256: "1", size: 1 },
    { format: "gcp", path: "imgs/h/web.img.tar.gz", sha256: "2", size: 2 },
  ];

  it("requires the format among the Image's formats, saying how to add it", () => {
    assert.doesNotThrow(() => requireFormat(["gcp"], "gcp", "GcpImage"));
    assert.throws(
      () => requireFormat(["kernel+initrd", "iso-bios"], "gcp", "GcpImage"),
      (e: unknown) =>
        e instanceof LinuxKitError &&
        e.message ===
          'GcpImage needs an Image built with the "gcp" format; this Image builds "kernel+initrd", "iso-bios"' &&
        e.hint?.includes('add "gcp" to the Image\'s formats') === true,
    );
  });

  it("picks the artifact and resolves its program-relative path against the program folder", () => {
    assert.deepEqual(artifactOf(artifacts, "gcp"), {
      ...artifacts[1],
      path: path.resolve("imgs/h/web.img.tar.gz"),
    });
    assert.equal(artifactOf(artifacts, "gcp", ".gz").sha256, "2");
    assert.equal(
      artifactOf([{ ...artifacts[1]!, path: "/abs/x.img.tar.gz" }], "gcp").path,
      "/abs/x.img.tar.gz",
    );
    assert.throws(
      () => artifactOf(artifacts, "raw-bios"),
      /has no raw-bios artifact; it reports web-kernel, web.img.tar.gz/,
    );
  });
});

/**
 * GcsIpxeArtifacts under Pulumi's mocks: the kernel, initrd and LinuxKit's
 * iPXE script in a bucket folder named by the image's content hash, each
 * object public-read (`allUsers` READER), the script's base-url pointing at
 * that folder, and the script URL as output. Same content, same folder;
 * new content, new folder (so a MetalDevice sees a new script URL).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import path from "node:path";
import { before, describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";

import { recordResources, unwrap } from "../../../helpers/pulumi-mocks";

import { ipxeScript } from "../../../../components/ipxe/ipxe-script";
import type * as GcpModule from "../../../../components/pulumi/gcp";
import { gcsIpxeLayout, gcsIpxeVersion } from "../../../../components/pulumi/gcp/gcs-ipxe-layout";
import type { Image as ImageClass } from "../../../../components/pulumi/image/image";

const T = {
  image: "pulumi-nodejs:dynamic/linuxkit:Image",
  component: "linuxkit:gcp:GcsIpxeArtifacts",
  object: "gcp:storage/bucketObject:BucketObject",
  acl: "gcp:storage/objectAccessControl:ObjectAccessControl",
};
const CMDLINE = "console=ttyS0 page_poison=1";
const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

let registered: MockResourceArgs[] = [];
let gcpm: typeof GcpModule;
let Image: typeof ImageClass;

before(async () => {
  registered = await recordResources((args) => {
    const inputs = args.inputs as Record<string, unknown>;
    const state: Record<string, unknown> = { ...inputs };
    if (args.type === T.image) {
      const yaml = String(inputs.configYaml);
      const dir = `.linuxkit/images/${sha(yaml).slice(0, 16)}`;
      const n = String(inputs.name);
      Object.assign(state, {
        // as the provider reports them: the formats built (kernel+initrd
        // when neither `formats` nor the YAML's `outputs:` name any)
        formats: inputs.formats ?? ["kernel+initrd"],
        contentHash: sha(yaml),
        cmdline: CMDLINE,
        kernel: `${dir}/${n}-kernel`,
        initrd: `${dir}/${n}-initrd.img`,
        artifacts: [
          { format: "kernel+initrd", path: `${dir}/${n}-kernel`, sha256: "k", size: 1 },
          { format: "kernel+initrd", path: `${dir}/${n}-initrd.img`, sha256: "i", size: 2 },
          { format: "kernel+initrd", path: `${dir}/${n}-cmdline`, sha256: "c", size: 3 },
        ],
      });
    }
    if (args.type === T.object) state.outputName = inputs.name;
    return state;
  });
  gcpm = await import("../../../../components/pulumi/gcp");
  ({ Image } = await import("../../../../components/pulumi/image/image"));
});

async function artifacts(
  name: string,
  yaml: string,
  extra: Partial<GcpModule.GcsIpxeArtifactsArgs> = {},
): Promise<{ a: GcpModule.GcsIpxeArtifacts; added: MockResourceArgs[] }> {
  const from = registered.length;
  const image = new Image(`${name}-lk`, { configYaml: yaml, name: "lk" });
  const a = new gcpm.GcsIpxeArtifacts(name, { image, bucket: "boot-bkt", ...extra });
  await unwrap(a.ipxeScriptUrl);
  await unwrap(a.urn);
  return { a, added: registered.slice(from).filter((r) => r.type !== T.image) };
}

describe("GcsIpxeArtifacts", () => {
  const YAML = "kernel: {image: k}\n";
  const version = gcsIpxeVersion({
    bucket: "boot-bkt",
    prefix: "",
    name: "lk",
    contentHash: sha(YAML),
    cmdline: CMDLINE,
    arch: "x86_64",
  });
  const base = `https://storage.googleapis.com/boot-bkt/${version}`;
  let a: GcpModule.GcsIpxeArtifacts;
  let added: MockResourceArgs[];

  before(async () => {
    ({ a, added } = await artifacts("boot", YAML));
  });

  it("registers three objects and three public grants, named after the component and parented to it", async () => {
    assert.deepEqual(
      [added[0], ...added.slice(1).sort((x, y) => x.name.localeCompare(y.name))].map((r) => [
        r!.type,
        r!.name,
      ]),
      [
        [T.component, "boot"],
        [T.object, "boot-initrd"],
        [T.acl, "boot-initrd-public"],
        [T.object, "boot-kernel"],
        [T.acl, "boot-kernel-public"],
        [T.object, "boot-script"],
        [T.acl, "boot-script-public"],
      ],
    );
    const chain = `urn:pulumi:stack::project::${T.component}$`;
    assert.equal(await unwrap(a.kernelObject.urn), `${chain}${T.object}::boot-kernel`);
    assert.equal(await unwrap(a.initrdObject.urn), `${chain}${T.object}::boot-initrd`);
    assert.equal(await unwrap(a.scriptObject.urn), `${chain}${T.object}::boot-script`);
    for (const g of a.publicGrants)
      assert.ok((await unwrap(g.urn)).startsWith(`${chain}${T.acl}::`));
  });

  it("puts <name>-kernel and <name>-initrd.img from the Image in the version folder", async () => {
    const dir = `.linuxkit/images/${sha(YAML).slice(0, 16)}`;
    for (const [child, file] of [
      ["boot-kernel", "lk-kernel"],
      ["boot-initrd", "lk-initrd.img"],
    ] as const) {
      const o = added.find((r) => r.name === child)!;
      assert.equal(o.inputs.bucket, "boot-bkt");
      assert.equal(o.inputs.name, `${version}/${file}`);
      assert.equal(o.inputs.contentType, "application/octet-stream");
      const source = o.inputs.source as pulumi.asset.FileAsset;
      assert.ok(source instanceof pulumi.asset.FileAsset);
      assert.equal(await source.path, path.resolve(dir, file));
    }
  });

  it("writes LinuxKit's iPXE script with base-url at the version folder", () => {
    const s = added.find((r) => r.name === "boot-script")!;
    assert.equal(s.inputs.name, `${version}/lk-equinixmetal.ipxe`);
    assert.equal(s.inputs.contentType, "text/plain");
    const want = ipxeScript({ name: "lk", baseUrl: base, arch: "x86_64", cmdline: CMDLINE });
    // @pulumi/gcp itself marks a BucketObject's `content` secret.
    const content = s.inputs.content as Record<string, unknown>;
    assert.equal(content["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    assert.equal(content.value, want);
    assert.match(want, new RegExp(`^set base-url ${base}$`, "m"));
    assert.match(want, /console=ttyS1,115200 console=ttyS0 page_poison=1/);
  });

  it("grants allUsers READER on each object", () => {
    for (const obj of ["kernel", "initrd", "script"]) {
      const g = added.find((r) => r.name === `boot-${obj}-public`)!;
      const o = added.find((r) => r.name === `boot-${obj}`)!;
      assert.deepEqual(g.inputs, {
        bucket: "boot-bkt",
        object: o.inputs.name,
        entity: "allUsers",
        role: "READER",
      });
    }
  });

  it("outputs the script URL, base URL and script text", async () => {
    assert.equal(await unwrap(a.ipxeScriptUrl), `${base}/lk-equinixmetal.ipxe`);
    assert.equal(await unwrap(a.baseUrl), base);
    assert.equal(
      await unwrap(a.ipxeScript),
      ipxeScript({ name: "lk", baseUrl: base, arch: "x86_64", cmdline: CMDLINE }),
    );
  });

  it("same content, same folder; new content, new folder", async () => {
    const again = await artifacts("boot", YAML);
    assert.equal(await unwrap(again.a.ipxeScriptUrl), await unwrap(a.ipxeScriptUrl));
    const other = await artifacts("boot", "kernel: {image: k2}\n");
    const url = await unwrap(other.a.ipxeScriptUrl);
    assert.notEqual(url, await unwrap(a.ipxeScriptUrl));
    assert.match(
      url,
      /^https:\/\/storage\.googleapis\.com\/boot-bkt\/[0-9a-f]{16}\/lk-equinixmetal\.ipxe$/,
    );
  });

  it("publicRead: false grants nothing; a prefix and aarch64 change the layout", async () => {
    const { a: p, added: pa } = await artifacts("priv", YAML, {
      publicRead: false,
      prefix: "metal/",
      arch: "aarch64",
    });
    assert.equal(pa.filter((r) => r.type === T.acl).length, 0);
    const v = gcsIpxeVersion({
      bucket: "boot-bkt",
      prefix: "metal",
      name: "lk",
      contentHash: sha(YAML),
      cmdline: CMDLINE,
      arch: "aarch64",
    });
    assert.notEqual(v, version, "the arch is part of the version");
    assert.equal(
      await unwrap(p.ipxeScriptUrl),
      `https://storage.googleapis.com/boot-bkt/metal/${v}/lk-equinixmetal.ipxe`,
    );
    assert.match(await unwrap(p.ipxeScript), /root=\/dev\/ram0/);
  });
});

describe("gcsIpxeLayout", () => {
  it("names objects under <prefix>/<version>/ and points the script's base-url there", () => {
    const l = gcsIpxeLayout({
      bucket: "b",
      prefix: "x/y",
      name: "n",
      contentHash: "h",
      cmdline: "",
      arch: "x86_64",
    });
    assert.match(l.version, /^[0-9a-f]{16}$/);
    assert.equal(l.kernelObject, `x/y/${l.version}/n-kernel`);
    assert.equal(l.initrdObject, `x/y/${l.version}/n-initrd.img`);
    assert.equal(l.scriptObject, `x/y/${l.version}/n-equinixmetal.ipxe`);
    assert.equal(l.baseUrl, `https://storage.googleapis.com/b/x/y/${l.version}`);
    assert.equal(l.ipxeScriptUrl, `${l.baseUrl}/n-equinixmetal.ipxe`);
    assert.ok(l.ipxeScript.includes(`set base-url ${l.baseUrl}\n`));
  });
});

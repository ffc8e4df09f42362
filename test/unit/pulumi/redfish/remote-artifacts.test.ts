/**
 * RemoteArtifacts under Pulumi's mocks (the @pulumi/command plugin cannot
 * run here): one `command:remote:CopyToRemote`, parented to the component,
 * copying the Image's build folder as a FileArchive to
 * `<remoteDir>/<first 16 hex of the content hash>`, triggered by the
 * content hash, with the SSH connection passed through (its private key
 * still secret); URLs of every artifact under `<baseUrl>/<same folder>/`,
 * `isoUrl` the iso-bios one. Same content, same folder and URLs; new
 * content, new ones. Also: importing `pulumi-linuxkit/redfish` does not
 * load @pulumi/command until RemoteArtifacts is used.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, describe, it } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";

import { recordResources, unwrap } from "../../../helpers/pulumi-mocks";

import type * as RedfishModule from "../../../../components/pulumi/redfish";
import type { Image as ImageClass } from "../../../../components/pulumi/image/image";

const T = {
  image: "pulumi-nodejs:dynamic/linuxkit:Image",
  component: "linuxkit:redfish:RemoteArtifacts",
  copy: "command:remote:CopyToRemote",
};
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const sha = (s: string): string => createHash("sha256").update(s).digest("hex");

let registered: MockResourceArgs[] = [];
let redfish: typeof RedfishModule;
let Image: typeof ImageClass;

before(async () => {
  registered = await recordResources((args) => {
    const inputs = args.inputs as Record<string, unknown>;
    const state: Record<string, unknown> = { ...inputs };
    if (args.type === T.image) {
      const yaml = String(inputs.configYaml);
      const dir = `.linuxkit/images/web/${sha(yaml).slice(0, 16)}`;
      Object.assign(state, {
        contentHash: sha(yaml),
        artifactDir: dir,
        artifacts: [
          { format: "iso-bios", path: `${dir}/web.iso`, sha256: "a", size: 1 },
          { format: "iso-efi", path: `${dir}/web-efi.iso`, sha256: "b", size: 2 },
        ],
      });
    }
    return state;
  });
  const loaded = Object.keys(require.cache).filter((k) => k.includes("@pulumi/command"));
  redfish = await import("../../../../components/pulumi/redfish");
  assert.deepEqual(
    Object.keys(require.cache).filter((k) => k.includes("@pulumi/command") && !loaded.includes(k)),
    [],
    "importing the redfish module does not load @pulumi/command",
  );
  ({ Image } = await import("../../../../components/pulumi/image/image"));
});

async function copyOf(name: string, yaml: string) {
  const from = registered.length;
  const image = new Image(`${name}-img`, { configYaml: yaml, name: "web" });
  const r = new redfish.RemoteArtifacts(name, {
    image,
    connection: {
      host: "images.lan",
      user: "deploy",
      privateKey: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nk\n"),
    },
    remoteDir: "/srv/www/linuxkit",
    baseUrl: "http://images.lan/linuxkit/",
  });
  const urls = await unwrap(r.urls);
  const isoUrl = await unwrap(r.isoUrl);
  const byFormat = await unwrap(r.urlsByFormat);
  await unwrap(r.copy.id);
  const added = registered.slice(from).filter((x) => x.type !== T.image);
  return { r, urls, isoUrl, byFormat, added };
}

describe("RemoteArtifacts", () => {
  const YAML = "kernel: {image: k}\n";

  it("registers one CopyToRemote of the build folder to a folder named by the content hash", async () => {
    const { urls, isoUrl, byFormat, added } = await copyOf("arts", YAML);
    assert.deepEqual(
      added.map((a) => `${a.type} ${a.name}`),
      [`${T.component} arts`, `${T.copy} arts-copy`],
    );
    const copy = added[1]!;
    assert.match(String(copy.inputs.remotePath), /^\/srv\/www\/linuxkit\/[0-9a-f]{16}$/);
    const folder = sha(YAML).slice(0, 16);
    assert.equal(copy.inputs.remotePath, `/srv/www/linuxkit/${folder}`);
    const source = copy.inputs.source as pulumi.asset.FileArchive;
    assert.ok(pulumi.asset.Archive.isInstance(source), "a FileArchive");
    assert.equal(
      await source.path,
      `.linuxkit/images/web/${folder}`,
      "the Image's build folder, as a FileArchive",
    );
    assert.deepEqual(copy.inputs.triggers, [sha(YAML)], "triggered by the content hash only");
    const conn = copy.inputs.connection as Record<string, unknown>;
    assert.equal(
      conn[SIG_KEY],
      SECRET_SIG,
      "the connection (holding the key) reaches the engine as a secret",
    );
    assert.deepEqual(urls, {
      "web.iso": `http://images.lan/linuxkit/${folder}/web.iso`,
      "web-efi.iso": `http://images.lan/linuxkit/${folder}/web-efi.iso`,
    });
    assert.equal(isoUrl, `http://images.lan/linuxkit/${folder}/web.iso`);
    assert.equal(byFormat["iso-efi"], `http://images.lan/linuxkit/${folder}/web-efi.iso`);
  });

  it("keeps folder and URLs for the same content, and moves both for new content", async () => {
    const a = await copyOf("same-a", YAML);
    const b = await copyOf("same-b", YAML);
    assert.equal(a.isoUrl, b.isoUrl);
    assert.equal(a.added[1]!.inputs.remotePath, b.added[1]!.inputs.remotePath);
    const c = await copyOf("new", "kernel: {image: k2}\n");
    assert.notEqual(c.isoUrl, a.isoUrl);
    assert.notEqual(c.added[1]!.inputs.remotePath, a.added[1]!.inputs.remotePath);
    assert.deepEqual(c.added[1]!.inputs.triggers, [sha("kernel: {image: k2}\n")]);
  });
});

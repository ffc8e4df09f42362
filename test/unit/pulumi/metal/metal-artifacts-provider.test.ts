import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import {
  metalArtifactsProvider,
  type MetalArtifactsInputs,
} from "../../../../components/pulumi/metal/metal-artifacts-provider";

describe("MetalArtifacts' provider", () => {
  let work: string;
  let inputs: MetalArtifactsInputs;
  const cwd = process.cwd();

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "lk-metal-artifacts-"));
    await writeFile(path.join(work, "web-kernel"), "KERNEL");
    await writeFile(path.join(work, "web-initrd.img"), "INITRD");
    process.chdir(work); // the provider's cwd is the program folder
    inputs = (
      await metalArtifactsProvider.check(
        {},
        {
          name: "web",
          kernel: "web-kernel",
          initrd: "web-initrd.img",
          cmdline: "console=ttyS1",
          baseUrl: "https://boot.example.com/lk",
        },
      )
    ).inputs;
  });
  after(async () => {
    process.chdir(cwd);
    await rm(work, { recursive: true, force: true });
  });

  it("lays out kernel, initrd and LinuxKit's script in a version folder", async () => {
    const { id, outs } = await metalArtifactsProvider.create(inputs);
    assert.match(outs.version, /^[0-9a-f]{16}$/);
    assert.equal(id, `web-${outs.version}`);
    assert.equal(
      outs.scriptFile,
      path.join(".linuxkit/metal", outs.version, "web-equinixmetal.ipxe"),
    );
    assert.equal(outs.kernelFile, path.join(".linuxkit/metal", outs.version, "web-kernel"));
    assert.equal(outs.versionUrl, `https://boot.example.com/lk/${outs.version}`);
    assert.equal(outs.ipxeScriptUrl, `${outs.versionUrl}/web-equinixmetal.ipxe`);
    assert.equal(await readFile(outs.scriptFile, "utf8"), outs.ipxeScript);
    assert.ok(outs.ipxeScript.startsWith(`#!ipxe\n\ndhcp\nset base-url ${outs.versionUrl}\n`));
    assert.ok(outs.ipxeScript.includes("ro serial  console=ttyS1\n"), "ttyS1 not added twice");
    assert.equal(await readFile(outs.kernelFile, "utf8"), "KERNEL");
    assert.equal(
      (await stat(outs.initrdFile)).ino,
      (await stat("web-initrd.img")).ino,
      "hard link",
    );
    assert.deepEqual(await metalArtifactsProvider.read(id, outs), { id, props: outs });

    // same inputs: no change; new content or base URL: a new version, written before the old goes
    assert.equal((await metalArtifactsProvider.diff(id, outs, inputs)).changes, false);
    const moved = await metalArtifactsProvider.diff(id, outs, {
      ...inputs,
      baseUrl: "https://other/lk",
    });
    assert.deepEqual(moved, {
      changes: true,
      replaces: ["contentHash"],
      deleteBeforeReplace: false,
    });
    await writeFile("web-initrd.img.new", "INITRD v2");
    const rebuilt = await metalArtifactsProvider.diff(id, outs, {
      ...inputs,
      initrd: "web-initrd.img.new",
    });
    assert.deepEqual(rebuilt.replaces, ["contentHash"]);
    const v2 = await metalArtifactsProvider.create({ ...inputs, initrd: "web-initrd.img.new" });
    assert.notEqual(v2.outs.version, outs.version);

    await metalArtifactsProvider.delete(id, outs);
    assert.equal(existsSync(path.dirname(outs.scriptFile)), false, "old version removed");
    assert.equal(existsSync(v2.outs.scriptFile), true, "new version kept");
    assert.deepEqual(await metalArtifactsProvider.read(id, outs), {}, "refresh: gone");
    await metalArtifactsProvider.delete(v2.id, v2.outs);
    assert.equal(existsSync(".linuxkit/metal"), false, "emptied folder removed");
  });

  it("the same content from another path is an update, not a replacement", async () => {
    const { id, outs } = await metalArtifactsProvider.create(inputs);
    await writeFile("copy-kernel", "KERNEL");
    const d = await metalArtifactsProvider.diff(id, outs, { ...inputs, kernel: "copy-kernel" });
    assert.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: false });
    await metalArtifactsProvider.delete(id, outs);
  });

  it("check asks for an http(s) base URL and both files", async () => {
    const { failures } = await metalArtifactsProvider.check({}, { baseUrl: "boot.example.com" });
    assert.deepEqual(
      failures?.map((f) => f.property),
      ["baseUrl", "kernel", "initrd"],
    );
  });
});

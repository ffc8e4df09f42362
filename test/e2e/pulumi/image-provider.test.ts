/**
 * The Image provider called directly, as the dynamic-provider host calls
 * it: check reports each problem as a failure on the input it concerns
 * (never a throw), and waits out unknown preview values; diff replaces on
 * exactly the content that moved (YAML, an image behind a tag, a file
 * source's bytes, the formats) and says nothing for an unchanged build;
 * read notices deleted artifacts; delete is idempotent and refuses any
 * folder that is not a content folder. No output ever carries the
 * configuration or a file's contents: they may be secrets.
 *
 * Builds use the local linuxkit-test/* images and the small `tar` format.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import type { ImageInputs } from "../../../components/pulumi/image/image-inputs";
import { imageProvider, type ImageOutputs } from "../../../components/pulumi/image/image-provider";
import { UNKNOWN } from "../../../components/pulumi/dynamic/unknowns";

const MARKER = `CONTENTS-MARKER-${process.pid}-${Date.now()}`;
/** A test-only tag, moved between two local images by one test. */
const MOVING_TAG = `linuxkit-test/provider-moving:t${process.pid}`;

function yamlWith(extra = ""): string {
  return [
    "kernel:",
    "  image: linuxkit-test/kernel:test",
    '  cmdline: "console=ttyS0"',
    "init:",
    "  - linuxkit-test/init:test",
    "files:",
    "  - path: etc/marker",
    `    contents: "${MARKER}"`,
    extra,
  ].join("\n");
}

let work: string;

/** Inputs as `check` fills them, in this test's folder, building the small `tar` format. */
async function checked(news: Partial<ImageInputs>): Promise<ImageInputs> {
  const res = await imageProvider.check(
    {},
    { name: "t", outputDir: path.join(work, "out"), formats: ["tar"], ...news },
  );
  assert.deepEqual(res.failures ?? [], [], "the inputs are valid");
  return res.inputs;
}

async function created(news: Partial<ImageInputs>): Promise<{ id: string; outs: ImageOutputs }> {
  return imageProvider.create(await checked(news));
}

function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", stdio: "pipe" }).trim();
}

before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lk-image-provider-"));
  // The provider runs in the program folder; this test's folder plays it.
  process.chdir(work);
});

after(async () => {
  try {
    docker("rmi", MOVING_TAG);
  } catch {
    /* never tagged, or already removed */
  }
  await rm(work, { recursive: true, force: true });
});

describe("Image provider check", () => {
  const base = (): Partial<ImageInputs> => ({
    name: "t",
    outputDir: path.join(work, "out"),
  });

  it("a YAML error is a failure on configYaml naming file:line:col and the field, not a throw", async () => {
    const yaml = yamlWith().replace(
      "linuxkit-test/init:test",
      "linuxkit-test/init:test\nonboot:\n  - name: x\n    image: linuxkit-test/busybox:test\n    capabilities: [CAP_SYS_ADMIM]",
    );
    const res = await imageProvider.check({}, { ...base(), configYaml: yaml });
    assert.equal(res.failures?.length, 1, JSON.stringify(res.failures));
    const [f] = res.failures!;
    assert.equal(f!.property, "configYaml");
    assert.match(f!.reason, /^t\.yml:\d+:\d+: /, "file:line:col first");
    assert.match(f!.reason, /onboot\[0\] \(x\)\.capabilities\[0\]/, "the field");
    assert.match(f!.reason, /CAP_SYS_ADMIM/);
  });

  it("broken YAML syntax is a failure on configYaml with its position", async () => {
    const res = await imageProvider.check({}, { ...base(), configYaml: "kernel:\n  image: [\n" });
    assert.equal(res.failures?.length, 1);
    assert.equal(res.failures![0]!.property, "configYaml");
    assert.match(res.failures![0]!.reason, /^t\.yml:\d+:\d+: YAML syntax error/);
  });

  it("configYaml and config both set is a failure, not a throw", async () => {
    const res = await imageProvider.check(
      {},
      {
        ...base(),
        configYaml: yamlWith(),
        config: { kernel: { image: "linuxkit-test/kernel:test" } },
      },
    );
    assert.equal(res.failures?.length, 1, JSON.stringify(res.failures));
    assert.equal(res.failures![0]!.property, "configYaml");
    assert.match(res.failures![0]!.reason, /exactly one of configYaml, configFiles or config/);
  });

  it("an unknown format is a failure on formats listing the valid ones", async () => {
    const res = await imageProvider.check(
      {},
      { ...base(), configYaml: yamlWith(), formats: ["tar", "qcow9"] },
    );
    assert.deepEqual(
      res.failures?.map((f) => f.property),
      ["formats"],
    );
    assert.match(res.failures![0]!.reason, /qcow9/);
    assert.match(res.failures![0]!.reason, /kernel\+initrd/);
  });

  it("a gzip level outside 0-9 is a failure on gzipLevel", async () => {
    const res = await imageProvider.check({}, { ...base(), configYaml: yamlWith(), gzipLevel: 12 });
    assert.deepEqual(
      res.failures?.map((f) => f.property),
      ["gzipLevel"],
    );
    assert.match(res.failures![0]!.reason, /12 is not a whole number from 0 to 9/);
  });

  it("an unknown arch is a failure on arch; aarch64 is arm64", async () => {
    const res = await imageProvider.check({}, { ...base(), configYaml: yamlWith(), arch: "s390x" });
    assert.deepEqual(
      res.failures?.map((f) => f.property),
      ["arch"],
    );
    assert.match(res.failures![0]!.reason, /s390x.*amd64, arm64/);
    const ok = await imageProvider.check(
      {},
      { ...base(), configYaml: yamlWith().replace(/:test$/gm, ":test-arm64"), arch: "aarch64" },
    );
    assert.deepEqual(ok.failures, []);
    assert.equal(ok.inputs.arch, "arm64");
  });

  it("check of an arm64 Image whose images the engine holds for amd64: a failure on configYaml per image, with its line", async () => {
    const mixed = yamlWith().replace("kernel:test", "kernel:test-arm64");
    const res = await imageProvider.check({}, { ...base(), configYaml: mixed, arch: "arm64" });
    assert.deepEqual(
      res.failures?.map((f) => f.property),
      ["configYaml"],
    );
    assert.match(
      res.failures![0]!.reason,
      /\.yml:5(:\d+)?: init\[0\]: image linuxkit-test\/init:test is for linux\/amd64, not linux\/arm64/,
    );
  });

  it("a BIOS format for arm64 is a failure on formats naming the EFI one", async () => {
    const res = await imageProvider.check(
      {},
      { ...base(), configYaml: yamlWith(), arch: "arm64", formats: ["raw-bios"] },
    );
    assert.deepEqual(
      res.failures?.map((f) => f.property),
      ["formats"],
    );
    assert.match(res.failures![0]!.reason, /raw-bios boots with BIOS.*use raw-efi/);
  });

  it("diff (preview) of an arm64 Image whose images are amd64 fails naming the image", async () => {
    // check refuses these inputs too (see above); diff must, for an Image already in state
    const res = await imageProvider.check(
      {},
      { ...base(), formats: ["tar"], configYaml: yamlWith(), arch: "arm64" },
    );
    assert.equal(res.failures?.length, 2, "kernel and init refused at check");
    await assert.rejects(
      imageProvider.diff("x", {} as ImageOutputs, res.inputs as ImageInputs),
      /kernel\.image: image linuxkit-test\/kernel:test is for linux\/amd64, not linux\/arm64/,
    );
  });

  it("every problem is reported at once, each on its own property", async () => {
    const res = await imageProvider.check(
      {},
      { ...base(), configYaml: "kernel: [\n", formats: ["nope"], arch: "s390x" },
    );
    assert.deepEqual(res.failures?.map((f) => f.property).sort(), [
      "arch",
      "configYaml",
      "formats",
    ]);
  });

  it("an unknown value anywhere in the inputs (a preview) gives no failures", async () => {
    for (const news of [
      { configYaml: UNKNOWN },
      {
        config: {
          kernel: { image: "linuxkit-test/kernel:test" },
          files: [{ path: "etc/x", contents: UNKNOWN }],
        },
      },
      { configYaml: "kernel: [\n", formats: ["tar", UNKNOWN] },
      { configYaml: yamlWith(), outputDir: UNKNOWN, arch: "arm64" },
    ] as Partial<ImageInputs>[]) {
      const res = await imageProvider.check({}, { ...base(), ...news });
      assert.deepEqual(res.failures ?? [], [], JSON.stringify(news));
    }
  });
});

describe("Image provider diff, create, read, delete", { concurrency: false }, () => {
  it("create builds into a content folder; unchanged inputs are no change; outputs hold no configuration", async () => {
    const yaml = yamlWith();
    const { id, outs } = await created({ configYaml: yaml });
    assert.equal(path.dirname(outs.artifactDir), path.join(work, "out"));
    assert.ok(id.startsWith("t-"));
    assert.deepEqual(
      outs.artifacts.map((a) => a.format),
      ["tar"],
    );
    assert.ok(existsSync(outs.artifacts[0]!.path));
    assert.deepEqual(await imageProvider.diff(id, outs, await checked({ configYaml: yaml })), {
      changes: false,
    });
    const stored = JSON.stringify(outs);
    assert.ok(!stored.includes(MARKER), "no files[].contents in the outputs");
    assert.ok(!stored.includes("linuxkit-test/init:test\nfiles"), "no YAML text in the outputs");
    assert.equal("configYaml" in outs, false);
    assert.equal("config" in outs, false);
    await imageProvider.delete(id, outs);
    assert.equal(existsSync(outs.artifactDir), false);
  });

  it("with no formats the YAML's outputs: are built and reported; explicit formats win", async () => {
    const yaml = yamlWith("outputs:\n  - format: tar\n  - format: tar-kernel-initrd\n");
    const { id, outs } = await created({ configYaml: yaml, formats: undefined });
    assert.deepEqual(outs.formats, ["tar", "tar-kernel-initrd"]);
    assert.deepEqual(
      outs.artifacts.map((a) => path.basename(a.path)),
      ["t.tar", "t-initrd.tar"],
    );
    const explicit = await created({ configYaml: yaml, formats: ["kernel+initrd"] });
    assert.deepEqual(explicit.outs.formats, ["kernel+initrd"]);
    assert.deepEqual(
      explicit.outs.artifacts.map((a) => a.format),
      ["kernel+initrd", "kernel+initrd", "kernel+initrd"],
    );
    await imageProvider.delete(id, outs);
    await imageProvider.delete(explicit.id, explicit.outs);
  });

  it("outputs of a `config` object hold none of its files[].contents", async () => {
    const { id, outs } = await created({
      config: {
        kernel: { image: "linuxkit-test/kernel:test", cmdline: "console=ttyS0" },
        init: ["linuxkit-test/init:test"],
        files: [{ path: "etc/secret", contents: MARKER, mode: "0600" }],
      },
    });
    try {
      assert.ok(!JSON.stringify(outs).includes(MARKER));
      assert.ok(
        !JSON.stringify(await imageProvider.read(id, outs)).includes(MARKER),
        "nor does what read returns",
      );
      // The contents are in the image itself, as they should be.
      const tar = outs.artifacts[0]!.path;
      assert.equal(execFileSync("tar", ["-xOf", tar, "etc/secret"], { encoding: "utf8" }), MARKER);
    } finally {
      await imageProvider.delete(id, outs);
    }
  });

  it("changed YAML replaces on configYaml only", async () => {
    const { id, outs } = await created({ configYaml: yamlWith() });
    try {
      const changed = await checked({
        configYaml: yamlWith().replace(
          'cmdline: "console=ttyS0"',
          'cmdline: "console=ttyS0 quiet"',
        ),
      });
      assert.deepEqual(await imageProvider.diff(id, outs, changed), {
        changes: true,
        replaces: ["configYaml"],
      });
    } finally {
      await imageProvider.delete(id, outs);
    }
  });

  it("a tag moved to other content replaces on images", async () => {
    docker("tag", "linuxkit-test/busybox:test", MOVING_TAG);
    const yaml = yamlWith(`onboot:\n  - name: moving\n    image: ${MOVING_TAG}\n`);
    const { id, outs } = await created({ configYaml: yaml });
    try {
      assert.deepEqual(
        await imageProvider.diff(id, outs, await checked({ configYaml: yaml })),
        { changes: false },
        "same tag, same content",
      );
      docker("tag", "linuxkit-test/sysctl:test", MOVING_TAG);
      assert.notEqual(
        docker("inspect", "--format", "{{.Id}}", MOVING_TAG),
        outs.images[MOVING_TAG],
      );
      const res = await imageProvider.diff(id, outs, await checked({ configYaml: yaml }));
      assert.equal(res.changes, true);
      assert.ok(res.replaces?.includes("images"), JSON.stringify(res));
      assert.ok(!res.replaces?.includes("configYaml"), "the YAML did not change");
    } finally {
      docker("rmi", MOVING_TAG);
      await imageProvider.delete(id, outs);
    }
  });

  it("a tag no longer in the engine replaces on images (the build will pull it)", async () => {
    docker("tag", "linuxkit-test/busybox:test", MOVING_TAG);
    const yaml = yamlWith(`onboot:\n  - name: moving\n    image: ${MOVING_TAG}\n`);
    const { id, outs } = await created({ configYaml: yaml });
    try {
      docker("rmi", MOVING_TAG);
      assert.deepEqual(await imageProvider.diff(id, outs, await checked({ configYaml: yaml })), {
        changes: true,
        replaces: ["images"],
      });
    } finally {
      await imageProvider.delete(id, outs);
    }
  });

  it("a files[].source byte change replaces on fileSources only", async () => {
    const source = path.join(work, "source.txt");
    await writeFile(source, "version one\n");
    const yaml = yamlWith("  - path: etc/from-source\n    source: source.txt\n");
    const { id, outs } = await created({ configYaml: yaml });
    try {
      assert.deepEqual(await imageProvider.diff(id, outs, await checked({ configYaml: yaml })), {
        changes: false,
      });
      await writeFile(source, "version two\n");
      assert.deepEqual(await imageProvider.diff(id, outs, await checked({ configYaml: yaml })), {
        changes: true,
        replaces: ["fileSources"],
      });
    } finally {
      await imageProvider.delete(id, outs);
    }
  });

  it("a formats change replaces on formats", async () => {
    const { id, outs } = await created({ configYaml: yamlWith() });
    try {
      const res = await imageProvider.diff(
        id,
        outs,
        await checked({ configYaml: yamlWith(), formats: ["kernel+initrd"] }),
      );
      assert.equal(res.changes, true);
      assert.ok(res.replaces?.includes("formats"), JSON.stringify(res));
    } finally {
      await imageProvider.delete(id, outs);
    }
  });

  it("a gzip level change replaces on gzipLevel and nothing else; the level used is an output", async () => {
    const { id, outs } = await created({ configYaml: yamlWith(), formats: ["kernel+initrd"] });
    try {
      assert.equal(outs.gzipLevel, 1, "the default level");
      const same = await imageProvider.diff(
        id,
        outs,
        await checked({ configYaml: yamlWith(), formats: ["kernel+initrd"], gzipLevel: 1 }),
      );
      assert.deepEqual(same, { changes: false }, "the default written out is no change");
      const res = await imageProvider.diff(
        id,
        outs,
        await checked({ configYaml: yamlWith(), formats: ["kernel+initrd"], gzipLevel: 6 }),
      );
      assert.deepEqual(res, { changes: true, replaces: ["gzipLevel"] });
      // State written before the level was recorded was built at 6.
      const older: Partial<ImageOutputs> = { ...outs, artifactDir: path.join(work, "elsewhere") };
      delete older.gzipLevel;
      const upgrade = await imageProvider.diff(
        id,
        older as ImageOutputs,
        await checked({ configYaml: yamlWith(), formats: ["kernel+initrd"] }),
      );
      assert.deepEqual(upgrade, { changes: true, replaces: ["gzipLevel"] });
    } finally {
      await imageProvider.delete(id, outs);
    }
  });

  it("read returns the resource while its artifacts are intact, and no id once they are deleted", async () => {
    const { id, outs } = await created({ configYaml: yamlWith() });
    assert.deepEqual(await imageProvider.read(id, outs), { id, props: outs });
    await rm(outs.artifactDir, { recursive: true, force: true });
    assert.deepEqual(await imageProvider.read(id, outs), {});
  });

  it("read of an artifact altered outside Pulumi returns no id", async () => {
    const { id, outs } = await created({ configYaml: yamlWith() });
    try {
      const tar = outs.artifacts[0]!.path;
      const bytes = await readFile(tar);
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
      await writeFile(tar, bytes);
      assert.deepEqual(await imageProvider.read(id, outs), {});
    } finally {
      await imageProvider.delete(id, outs);
    }
  });

  it("delete of an already-deleted folder succeeds", async () => {
    const { id, outs } = await created({ configYaml: yamlWith() });
    await imageProvider.delete(id, outs);
    assert.equal(existsSync(outs.artifactDir), false);
    await imageProvider.delete(id, outs);
  });

  it("delete refuses a folder that is not this image's content folder, and leaves it alone", async () => {
    const { id, outs } = await created({ configYaml: yamlWith() });
    try {
      // The folder holding every version, the program's own folder, another version's folder.
      for (const artifactDir of [
        outs.outputDir,
        work,
        path.join(outs.outputDir, "0123456789abcdef"),
      ]) {
        await assert.rejects(
          imageProvider.delete(id, { ...outs, artifactDir }),
          /refusing to delete/,
        );
      }
      assert.ok(existsSync(outs.outputDir) && existsSync(work));
      assert.ok(existsSync(outs.artifacts[0]!.path), "the real artifacts are untouched");
    } finally {
      await imageProvider.delete(id, outs);
    }
  });
});

/**
 * The build finds a missing tool before any work: with xorriso off PATH,
 * an iso-bios build fails with TOOL_MISSING naming the Debian package,
 * and the image source is never asked for anything (nothing resolved,
 * pulled, exported or assembled) and nothing is written.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterEach, beforeEach, describe, it } from "node:test";

import { isLinuxKitError } from "../../../components/errors/errors";
import { build } from "../../../components/pipeline/pipeline";
import type { ImageSource, ResolvedImage } from "../../../components/sources/image-source";
import { fixture } from "../../helpers/paths";
import { loadSpecFiles } from "../../../components/config";

/** Records every call; any call at all means the build started working. */
class RecordingSource implements ImageSource {
  readonly calls: string[] = [];
  resolve(ref: string): Promise<ResolvedImage> {
    this.calls.push(`resolve ${ref}`);
    return Promise.reject(new Error("the image source must not be used"));
  }
  exportRootfs(image: ResolvedImage): Promise<Readable> {
    this.calls.push(`export ${image.ref}`);
    return Promise.reject(new Error("the image source must not be used"));
  }
}

const YAML = readFileSync(fixture("builds", "kernel-init.yml"), "utf8");

describe("build: tools checked first", () => {
  let dir = "";
  let savedPath: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-tool-check-"));
    savedPath = process.env.PATH;
  });
  afterEach(async () => {
    process.env.PATH = savedPath;
    await rm(dir, { recursive: true, force: true });
  });

  it("a missing xorriso is TOOL_MISSING naming its Debian package, before anything is resolved, assembled or written", async () => {
    const yml = path.join(dir, "app.yml");
    await writeFile(yml, YAML);
    const parsed = await loadSpecFiles([yml]);
    const emptyBin = await mkdtemp(path.join(dir, "bin-"));
    process.env.PATH = emptyBin; // no xorriso (nor anything else) on PATH
    const source = new RecordingSource();
    const outputDir = path.join(dir, "out");
    const lines: string[] = [];
    await assert.rejects(
      build({
        spec: parsed.spec,
        locations: parsed.locations,
        baseDir: dir,
        name: "app",
        outputDir,
        formats: ["kernel+initrd", "iso-bios"],
        source,
        log: (l) => lines.push(l),
      }),
      (err: unknown) => {
        assert.ok(isLinuxKitError(err), `a LinuxKitError, got ${String(err)}`);
        assert.equal(err.code, "TOOL_MISSING");
        assert.match(err.message, /xorriso not found/);
        assert.match(err.message, /apt-get install xorriso/);
        return true;
      },
    );
    assert.deepEqual(source.calls, [], "the image source was never asked for anything");
    assert.deepEqual(lines, [], "no stage started (nothing logged)");
    assert.deepEqual(
      await readdir(outputDir).catch((e: NodeJS.ErrnoException) => e.code),
      "ENOENT",
      "the output folder was not even created",
    );
  });
});

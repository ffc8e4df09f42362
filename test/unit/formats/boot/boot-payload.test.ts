/**
 * The boot payload is made once and handed to the formats: given one in
 * the context, no format builds its own initrd, the bytes of every
 * artifact are those each format writes on its own, and staged writes
 * leave no temporary file.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { makeBootPayload } from "../../../../components/formats/blocks/boot-payload";
import { formatTable, writeFormats } from "../../../../components/formats/table";
import type { Artifact, FormatContext } from "../../../../components/formats/blocks/types";
import { rootfsEntries, writeTar } from "../../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../../helpers/formats/tmp";
import { makeUcodeCpio } from "../../../helpers/formats/ucode";

const FORMATS = ["kernel+initrd", "tar-kernel-initrd", "iso-bios"];

async function context(dir: string, sub: string, tarPath: string): Promise<FormatContext> {
  const outputDir = path.join(dir, sub, "out");
  await mkdir(outputDir, { recursive: true });
  return {
    name: "lk",
    outputDir,
    rootfsTarPath: tarPath,
    tmpDir: path.join(dir, sub, "tmp"),
    options: {},
  };
}

const digests = (artifacts: Artifact[]): Record<string, string> =>
  Object.fromEntries(artifacts.map((a) => [path.basename(a.path), a.sha256]));

for (const ucode of [false, true]) {
  describe(`boot payload passed to the formats (${ucode ? "with" : "without"} microcode)`, () => {
    it("no format makes its own initrd; the artifacts are byte for byte those of formats run alone", async () => {
      await withTmpDir(async (dir) => {
        const tarPath = path.join(dir, "rootfs.tar");
        await writeTar(tarPath, rootfsEntries(ucode ? await makeUcodeCpio(dir) : undefined));

        const alone: Record<string, string> = {};
        for (const name of FORMATS) {
          const ctx = await context(dir, `alone-${name.replace(/\W/g, "_")}`, tarPath);
          Object.assign(alone, digests(await formatTable.get(name)!.write(ctx)));
        }

        const ctx = await context(dir, "shared", tarPath);
        const lines: string[] = [];
        const bootDir = path.join(dir, "shared", "boot");
        await mkdir(bootDir);
        ctx.boot = await makeBootPayload({ ...ctx, log: (l) => lines.push(l) }, bootDir);
        assert.equal(ctx.boot.hasUcode, ucode);
        assert.equal(lines.filter((l) => l.includes("initrd:")).length, 1, "the payload's initrd");
        const formatLines: string[] = [];
        const artifacts = await writeFormats(FORMATS, {
          ...ctx,
          staged: true,
          log: (l) => formatLines.push(l),
        });
        const initrdsMade = formatLines.filter((l) => l.includes("initrd:")).length;
        // tar-kernel-initrd leaves the microcode out, so with microcode it needs its own.
        assert.equal(initrdsMade, ucode ? 1 : 0, formatLines.join("\n"));
        assert.deepEqual(digests(artifacts), alone);
        assert.deepEqual(
          (await readFile(path.join(ctx.outputDir, "lk-initrd.img"))).equals(
            await readFile(ctx.boot.initrdPath),
          ),
          true,
          "kernel+initrd publishes the payload's initrd",
        );
        assert.deepEqual((await readdir(ctx.outputDir)).sort(), [
          "lk-cmdline",
          "lk-initrd.img",
          "lk-initrd.tar",
          "lk-kernel",
          "lk.iso",
        ]);
        assert.deepEqual(await readdir(ctx.tmpDir), [], "format scratch folders are removed");
      });
    });
  });
}

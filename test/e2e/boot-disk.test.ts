/**
 * Disk images from the real pipeline boot the real test init: nginx-like.yml
 * (local `linuxkit-test/*` images) is built by `build()` as `raw-bios` and
 * `qcow2-efi` with `diskSizeMiB` 256 (the `--size` option), each is booted
 * under qemu TCG from its firmware (SeaBIOS from IDE; OVMF from virtio-blk)
 * with a virtio NIC, and the console must meet the fixture's expectations
 * (test/fixtures/e2e/nginx-like.expect.json): onboot containers ran and
 * succeeded, services started, `boot complete`, power-off. The command
 * line cannot be appended at boot (it lives in the image's boot loader
 * config), so the test adds the fixture's `append` to `kernel.cmdline`
 * before building. The build is repeated to show the artifacts are
 * byte-identical.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { build, type BuildResult } from "../../components/pipeline/pipeline";
import { loadSpecFiles } from "../../components/config";
import { ensureTestImages } from "../helpers/boot";
import { fixture } from "../helpers/paths";
import { checkConsole, loadExpectations } from "../images/expect";
import { bootDisk, bootSkipReason, consoleTail } from "../helpers/formats/disk-boot";

const NAME = "nginx-like";
const FORMATS = ["raw-bios", "qcow2-efi"];
const SIZE_MIB = 256;

let work = "";
let skipReason: string | undefined;
let first: BuildResult;

async function buildOnce(dir: string, noCache = false): Promise<BuildResult> {
  const yml = fixture("e2e", `${NAME}.yml`);
  const expect = loadExpectations(fixture("e2e", `${NAME}.expect.json`));
  const parsed = await loadSpecFiles([yml]);
  const spec = parsed.spec;
  assert.ok(spec.kernel, "the fixture has a kernel");
  spec.kernel.cmdline = `${spec.kernel.cmdline ?? ""} ${expect.append}`.trim();
  return build({
    spec,
    locations: parsed.locations,
    baseDir: path.dirname(yml),
    name: NAME,
    outputDir: path.join(work, dir),
    formats: FORMATS,
    diskSizeMiB: SIZE_MIB,
    noCache,
  });
}

before(async () => {
  skipReason = await bootSkipReason(true);
  if (skipReason !== undefined) return;
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-boot-disk-"));
  first = await buildOnce("a");
});

after(async () => {
  if (work !== "") await rm(work, { recursive: true, force: true });
});

function artifact(r: BuildResult, file: string): string {
  const a = r.artifacts.find((x) => x.file === file);
  assert.ok(a, `the build wrote ${file} (got ${r.artifacts.map((x) => x.file).join(", ")})`);
  return a.path;
}

describe(`${NAME}.yml built as disk images by the pipeline and booted under qemu TCG`, () => {
  const expect = loadExpectations(fixture("e2e", `${NAME}.expect.json`));
  const cases = [
    {
      file: `${NAME}-bios.img`,
      format: "raw" as const,
      firmware: "bios" as const,
      bus: "ide" as const,
    },
    {
      file: `${NAME}-efi.qcow2`,
      format: "qcow2" as const,
      firmware: "efi" as const,
      bus: "virtio" as const,
    },
  ];
  for (const c of cases) {
    it(`${c.file}: ${c.firmware === "bios" ? "SeaBIOS" : "OVMF"} boots it and the console meets the fixture's expectations`, async (t) => {
      if (skipReason !== undefined) return t.skip(skipReason);
      const r = await bootDisk({
        path: artifact(first, c.file),
        format: c.format,
        firmware: c.firmware,
        bus: c.bus,
        scratch: work,
        memoryMiB: expect.qemu.memoryMiB,
        network: true,
        timeoutMs: expect.timeoutSeconds * 1000,
      });
      const where = `\n--- last console lines ---\n${consoleTail(r.console, 60)}`;
      assert.equal(r.timedOut, false, `no power-off within ${expect.timeoutSeconds} s${where}`);
      const problems = checkConsole(expect, r.console);
      assert.deepEqual(problems, [], `${problems.join("\n")}${where}`);
      t.diagnostic(`${c.file}: powered off after ${r.seconds.toFixed(1)} s`);
    });
  }

  it("the disks have the requested size and a second build is byte-identical", async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const bios = first.artifacts.find((a) => a.file === `${NAME}-bios.img`);
    assert.equal(bios?.size, SIZE_MIB * 1024 * 1024);
    const again = await buildOnce("b", true);
    assert.equal(again.cached, false);
    for (const a of first.artifacts) {
      const b = again.artifacts.find((x) => x.file === a.file);
      assert.equal(b?.sha256, a.sha256, `${a.file} differs between builds`);
      t.diagnostic(`${a.file}: ${(a.size / 1e6).toFixed(1)} MB sha256 ${a.sha256.slice(0, 16)}`);
    }
  });
});

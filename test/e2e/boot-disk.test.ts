/**
 * Disk images from the real pipeline boot the real test init: nginx-like.yml
 * (local `linuxkit-test/*` images) is built by `build()` as `raw-bios` and
 * `qcow2-efi` with `diskSizeMiB` 256 (the `--size` option), each is booted
 * under qemu TCG through `pulumi-linuxkit run qemu` (the product's own
 * qemu arguments for disks, and its OVMF choice for `--uefi`), and the console must meet the fixture's expectations
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
import { ensureTestImages, killQemuMentioning, tail } from "../helpers/boot";
import { runCli } from "../helpers/cli";
import { fixture } from "../helpers/paths";
import { checkConsole, loadExpectations } from "../images/expect";
import { bootSkipReason } from "../helpers/formats/disk-boot";

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
  // Booted through the product's own `run qemu` (its qemu arguments for
  // disks, and its OVMF choice for UEFI), as a user would boot them.
  const cases = [
    { file: `${NAME}-bios.img`, args: [] as string[], firmware: "SeaBIOS" },
    { file: `${NAME}-efi.qcow2`, args: ["--uefi"], firmware: "OVMF" },
  ];
  for (const c of cases) {
    it(`${c.file}: run qemu boots it under ${c.firmware} and the console meets the fixture's expectations`, async (t) => {
      if (skipReason !== undefined) return t.skip(skipReason);
      const disk = artifact(first, c.file);
      const started = Date.now();
      let run;
      try {
        run = await runCli(
          [
            "run",
            "qemu",
            "--accel",
            "tcg",
            "--mem",
            String(expect.qemu.memoryMiB),
            ...c.args,
            disk,
          ],
          {
            env: { LINUXKIT_QEMU_ACCEL: "tcg" },
            killAfterMs: expect.timeoutSeconds * 1000,
            killSignal: "SIGKILL",
          },
        );
      } finally {
        killQemuMentioning(disk);
      }
      const where = `\n--- last console lines ---\n${tail(run.stdout)}`;
      assert.equal(run.signal, null, `no power-off within ${expect.timeoutSeconds} s${where}`);
      assert.equal(run.code, 0, `run qemu exits 0:\n${run.stderr}${where}`);
      const problems = checkConsole(expect, run.stdout);
      assert.deepEqual(problems, [], `${problems.join("\n")}${where}`);
      t.diagnostic(`${c.file}: powered off after ${((Date.now() - started) / 1000).toFixed(1)} s`);
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

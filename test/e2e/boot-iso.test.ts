/**
 * The ISO formats end to end: nginx-like.yml (local linuxkit-test images),
 * with the test init's poweroff switches baked into its command line by a
 * second YAML file (an ISO carries its command line; nothing can be
 * appended at boot), is
 *
 * 1. built to its root filesystem tar by the pipeline, and each ISO format
 *    written twice from that tar: the bytes must be identical;
 * 2. built by the command line (`build --format iso-bios --format iso-efi
 *    --format iso-efi-initrd`) in another process: the same bytes again;
 * 3. booted with `run qemu` (TCG): iso-bios under SeaBIOS by PREFIX, the
 *    EFI ISOs under OVMF by file name with `--uefi`. Each console must show
 *    the fixture's expected lines in order (containers ran, services
 *    started, boot complete, poweroff) and nothing forbidden.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { build } from "../../components/pipeline/pipeline";
import { isoBiosFormat } from "../../components/formats/writers/iso-bios";
import { isoEfiFormat } from "../../components/formats/writers/iso-efi";
import { isoEfiInitrdFormat } from "../../components/formats/writers/iso-efi-initrd";
import { kernelIsoFormat } from "../../components/formats/writers/iso-kernel";
import type { Artifact, OutputFormat } from "../../components/formats/blocks/types";
import { findOvmf } from "../../components/qemu/boot-media";
import { loadSpecFiles } from "../../components/config";
import { ensureTestImages, killQemuMentioning, tail } from "../helpers/boot";
import { runCli } from "../helpers/cli";
import { fixture } from "../helpers/paths";
import { checkConsole, loadExpectations } from "../images/expect";
import { elTorito } from "../helpers/formats/iso-inspect";

const NAME = "nginx-like";
/** The bootable ISO formats. */
const FORMATS: OutputFormat[] = [isoBiosFormat, isoEfiFormat, isoEfiInitrdFormat];
/**
 * Checked for reproducibility too: kernel+iso (its ISO is the root
 * filesystem, booted with root=/dev/sr0 by kernels with built-in CD-ROM and
 * ISO 9660 drivers, which the Debian test kernel lacks, so it is not booted
 * here; it also shares `<name>.iso` with iso-bios, so it is not in the CLI build).
 */
const REPRO_FORMATS: OutputFormat[] = [...FORMATS, kernelIsoFormat];
const expect = loadExpectations(fixture("e2e", `${NAME}.expect.json`));
const yml = fixture("e2e", `${NAME}.yml`);

let work: string;
let override: string;
/** sha256 of each format's ISO from step 1, by format name. */
const digests = new Map<string, string>();

before(async () => {
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-iso-"));
  override = path.join(work, "poweroff.yml");
  const parsed = await loadSpecFiles([yml]);
  const cmdline = parsed.spec.kernel?.cmdline ?? "";
  await writeFile(
    override,
    `kernel:\n  cmdline: ${JSON.stringify(`${cmdline} ${expect.append}`)}\n`,
  );
});

after(async () => {
  killQemuMentioning(work);
  await rm(work, { recursive: true, force: true });
});

describe("ISO formats of nginx-like.yml", () => {
  it("are bit-for-bit reproducible from one root filesystem tar", async (t) => {
    const parsed = await loadSpecFiles([yml, override]);
    assert.match(parsed.spec.kernel?.cmdline ?? "", /linuxkit\.test\.poweroff=1/);
    const result = await build({
      spec: parsed.spec,
      locations: parsed.locations,
      baseDir: path.dirname(yml),
      name: NAME,
      outputDir: path.join(work, "tar"),
      formats: ["tar"],
    });
    const tar = result.artifacts.find((a) => a.file === `${NAME}.tar`);
    assert.ok(tar, `the build wrote ${NAME}.tar`);
    for (const format of REPRO_FORMATS) {
      const runs: { artifacts: Artifact[]; seconds: number }[] = [];
      for (const n of [1, 2]) {
        const outputDir = path.join(work, `${format.name}-${n}`);
        await mkdir(outputDir, { recursive: true });
        const started = Date.now();
        const artifacts = await format.write({
          name: NAME,
          outputDir,
          rootfsTarPath: tar.path,
          tmpDir: path.join(work, `tmp-${format.name}-${n}`),
          options: {},
          log: (m) => t.diagnostic(m.trim()),
        });
        runs.push({ artifacts, seconds: (Date.now() - started) / 1000 });
      }
      const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
      const shas = (r: typeof a): string[] =>
        r.artifacts.map((x) => `${path.basename(x.path)} ${x.sha256}`);
      assert.deepEqual(shas(a), shas(b), `${format.name}: two writes, same bytes`);
      const iso = a.artifacts.find((x) => x.path.endsWith(".iso"));
      assert.ok(iso);
      if (format !== kernelIsoFormat) {
        assert.equal(
          elTorito(iso.path).images[0]?.platform,
          format === isoBiosFormat ? "BIOS" : "UEFI",
        );
      }
      digests.set(format.name, iso.sha256);
      t.diagnostic(
        `${format.name}: ${path.basename(iso.path)} ${(iso.size / 1048576).toFixed(1)} MiB sha256 ${iso.sha256.slice(0, 16)}; written in ${a.seconds.toFixed(1)} s / ${b.seconds.toFixed(1)} s`,
      );
    }
  });

  describe("built and booted through the command line", () => {
    const dir = (): string => path.join(work, "cli");

    before(async () => {
      const args = ["build", "--dir", dir(), "--name", NAME];
      for (const f of FORMATS) args.push("--format", f.name);
      const b = await runCli([...args, yml, override]);
      assert.equal(b.code, 0, `build succeeds:\n${b.stderr}\n${b.stdout}`);
    });

    it("writes the same bytes as the library did", async () => {
      const { createHash } = await import("node:crypto");
      const { readFile } = await import("node:fs/promises");
      for (const f of FORMATS) {
        const [file] = f.files(NAME) as [string];
        const bytes = await readFile(path.join(dir(), file));
        assert.equal(createHash("sha256").update(bytes).digest("hex"), digests.get(f.name), file);
      }
    });

    for (const format of FORMATS) {
      const uefi = format !== isoBiosFormat;
      it(`${format.name} boots with run qemu${uefi ? " --uefi under OVMF" : " PREFIX under SeaBIOS"}`, async (t) => {
        if (uefi && findOvmf() === undefined) return t.skip("needs OVMF (apt-get install ovmf)");
        const [file] = format.files(NAME) as [string];
        assert.ok(existsSync(path.join(dir(), file)));
        // iso-bios is found from the prefix (no kernel+initrd next to it);
        // the EFI ISOs are named, `-efi-initrd.iso` not being a run qemu candidate.
        const target = uefi ? ["--uefi", path.join(dir(), file)] : [path.join(dir(), NAME)];
        const started = Date.now();
        let run;
        try {
          run = await runCli(
            ["run", "qemu", "--accel", "tcg", "--mem", String(expect.qemu.memoryMiB), ...target],
            {
              env: { LINUXKIT_QEMU_ACCEL: "tcg" },
              killAfterMs: expect.timeoutSeconds * 1000,
              killSignal: "SIGKILL",
            },
          );
        } finally {
          killQemuMentioning(dir());
        }
        const seconds = (Date.now() - started) / 1000;
        assert.equal(
          run.signal,
          null,
          `guest powered off within ${expect.timeoutSeconds} s\n${tail(run.stdout)}`,
        );
        assert.equal(run.code, 0, `run qemu exits 0:\n${run.stderr}\n${tail(run.stdout)}`);
        const problems = checkConsole(expect, run.stdout);
        assert.deepEqual(
          problems,
          [],
          `${problems.join("\n")}\n--- last lines ---\n${tail(run.stdout)}`,
        );
        t.diagnostic(`${format.name}: booted and powered off in ${seconds.toFixed(1)} s`);
      });
    }
  });
});

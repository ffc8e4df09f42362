/**
 * arm64 from this amd64 machine, without emulation in the build: the
 * arm64 stand-in images (Debian's arm64 packages, `:test-arm64`) built
 * with `arch: arm64` into every arm64 format, twice, byte for byte the
 * same; the EFI loader is GRUB's BOOTAA64.EFI; iso-efi and
 * qcow2-efi boot under qemu-system-aarch64 (virt, -cpu max, TCG; AAVMF for
 * the EFI media) and the console shows the init, the container running on
 * aarch64 and the end of the boot. A BIOS format and an amd64 image in an
 * arm64 build are refused before anything is built.
 *
 * kernel+initrd boots in test/e2e/registry/registry-arm64.test.ts (the seed
 * 000-nginx.yml built for arm64 from a multi-platform registry, every onboot
 * and service checked): one aarch64 TCG boot fewer in CI.
 *
 * Boots stop at `boot complete` (no poweroff wait): aarch64 TCG on shared
 * cores is slow, each boot is tens of seconds.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import { loadSpecFiles } from "../../components/config";
import { isLinuxKitError } from "../../components/errors/errors";
import { build, planBuild, type BuildResult } from "../../components/pipeline/pipeline";
import { startGuest, tail } from "../helpers/boot";
import { fixture, repoRoot } from "../helpers/paths";

const execFileAsync = promisify(execFile);

const ARM64_FORMATS = [
  "kernel+initrd",
  "tar",
  "tar-kernel-initrd",
  "docker",
  "iso-efi",
  "iso-efi-initrd",
  "raw-efi",
  "qcow2-efi",
  "gcp",
];

/** What every boot of mini.yml must show, in this order. */
const MARKERS = [
  /Booting Linux on physical CPU/,
  /LINUXKIT-TEST: init started/,
  /LINUXKIT-TEST: uname machine=aarch64/,
  /LINUXKIT-TEST: onboot 000-uname exit=0(\s|$)/,
  /LINUXKIT-TEST: boot complete/,
];
const FORBIDDEN = /LINUXKIT-TEST: ERROR|Kernel panic|runc run failed/;
const BOOT_TIMEOUT_MS = 180_000;

let work: string;
let first: BuildResult;

async function buildMini(dir: string, noCache = false): Promise<BuildResult> {
  const yml = fixture("e2e", "arm64", "mini.yml");
  const parsed = await loadSpecFiles([yml]);
  return build({
    spec: parsed.spec,
    locations: parsed.locations,
    baseDir: path.dirname(yml),
    name: "mini",
    outputDir: dir,
    formats: ARM64_FORMATS,
    arch: "arm64",
    noCache,
  });
}

function artifact(result: BuildResult, file: string): string {
  const a = result.artifacts.find((x) => x.file === file);
  assert.ok(a, `the build wrote ${file} (got ${result.artifacts.map((x) => x.file).join(", ")})`);
  return a.path;
}

/** Boots under aarch64 TCG until every marker appeared in order; returns the seconds it took. */
async function bootAndCheck(
  what: string,
  options: Parameters<typeof startGuest>[0],
): Promise<number> {
  const guest = startGuest({ ...options, arch: "arm64", memoryMiB: 1024 });
  try {
    await guest.waitFor(MARKERS, BOOT_TIMEOUT_MS).catch((e: unknown) => {
      throw new Error(`${what}: ${(e as Error).message}\n${tail(guest.console)}`);
    });
    const lines = guest.console.split("\n");
    let at = 0;
    for (const re of MARKERS) {
      const found = lines.findIndex((l, i) => i >= at && re.test(l));
      assert.ok(found >= 0, `${what}: ${re} after line ${at}\n${tail(guest.console)}`);
      at = found;
    }
    const bad = lines.find((l) => FORBIDDEN.test(l));
    assert.equal(bad, undefined, `${what}: forbidden console line\n${tail(guest.console)}`);
    return guest.elapsedSeconds;
  } finally {
    await guest.stop();
  }
}

before(async () => {
  // the arm64 stand-ins (fetches Debian's arm64 packages the first time; cached)
  await execFileAsync(path.join(repoRoot, "scripts", "build-test-images.sh"), ["--arch", "arm64"], {
    cwd: repoRoot,
    maxBuffer: 16 << 20,
  });
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-arm64-"));
  first = await buildMini(path.join(work, "a"));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("arm64 builds", () => {
  it("every arm64 format is byte-identical when built again", async () => {
    const again = await buildMini(path.join(work, "b"), true);
    assert.equal(again.cached, false, "the second build ran (--no-cache)");
    assert.equal(again.cacheKey, first.cacheKey);
    assert.equal(first.arch, "arm64");
    const digests = (r: BuildResult): Record<string, string> =>
      Object.fromEntries(r.artifacts.map((a) => [a.file, a.sha256]));
    assert.deepEqual(digests(again), digests(first));
    assert.equal(first.artifacts.length, 11, first.artifacts.map((a) => a.file).join(", "));
  });

  it("the kernel is Debian's arm64 Image and the EFI loader is GRUB's BOOTAA64.EFI", async () => {
    const kernel = await readFile(artifact(first, "mini-kernel"));
    assert.equal(kernel.toString("latin1", 0x38, 0x3c), "ARM\x64", "arm64 Image magic");
    // the ESP of raw-efi starts at 1 MiB; mtools reads the loader out of it
    const disk = artifact(first, "mini-efi.img");
    const { stdout } = await execFileAsync(
      "mcopy",
      ["-i", `${disk}@@1M`, "::/EFI/BOOT/BOOTAA64.EFI", "-"],
      { encoding: "buffer", maxBuffer: 64 << 20 },
    );
    const efi = stdout as unknown as Buffer;
    assert.equal(efi.toString("latin1", 0, 2), "MZ", "a PE image");
    const pe = efi.readUInt32LE(0x3c);
    assert.equal(efi.toString("latin1", pe, pe + 4), "PE\0\0");
    assert.equal(efi.readUInt16LE(pe + 4), 0xaa64, "COFF machine arm64");
    const manifest = JSON.parse(
      await readFile(path.join(first.outputDir, ".mini.linuxkit-build.json"), "utf8"),
    ) as { arch?: string };
    assert.equal(manifest.arch, "arm64", "run qemu learns the architecture from the manifest");
  });

  it("refuses a BIOS format for arm64, naming the EFI alternative, before any image is read", async () => {
    const parsed = await loadSpecFiles([fixture("e2e", "arm64", "mini.yml")]);
    await assert.rejects(
      planBuild({
        spec: parsed.spec,
        name: "mini",
        outputDir: path.join(work, "bios"),
        formats: ["iso-bios"],
        arch: "arm64",
      }),
      (e: unknown) =>
        isLinuxKitError(e) &&
        /output format iso-bios boots with BIOS, which arm64 \(aarch64\) machines do not have: use iso-efi/.test(
          e.message,
        ),
    );
  });

  it("an amd64-only image in an arm64 build fails naming the image, its line and both platforms", async () => {
    const yml = fixture("e2e", "arm64", "mixed.yml");
    const parsed = await loadSpecFiles([yml]);
    await assert.rejects(
      planBuild(
        {
          spec: parsed.spec,
          locations: parsed.locations,
          name: "mixed",
          outputDir: work,
          arch: "arm64",
        },
        { offline: true },
      ),
      (e: unknown) => {
        assert.ok(isLinuxKitError(e), String(e));
        assert.equal(e.code, "IMAGE_PLATFORM");
        assert.equal(e.image, "linuxkit-test/init:test");
        assert.equal(e.line, 7);
        assert.match(
          e.message,
          /init\[0\]: image linuxkit-test\/init:test is for linux\/amd64, not linux\/arm64/,
        );
        return true;
      },
    );
  });
});

describe("arm64 boots under qemu-system-aarch64 (TCG)", () => {
  it("iso-efi with AAVMF", async () => {
    const seconds = await bootAndCheck("iso-efi", {
      media: { kind: "iso", path: artifact(first, "mini-efi.iso"), uefi: true },
    });
    console.log(`# arm64 iso-efi: boot complete after ${seconds.toFixed(1)} s`);
  });

  it("qcow2-efi with AAVMF", async () => {
    const seconds = await bootAndCheck("qcow2-efi", {
      media: { kind: "disk", path: artifact(first, "mini-efi.qcow2"), format: "qcow2", uefi: true },
    });
    console.log(`# arm64 qcow2-efi: boot complete after ${seconds.toFixed(1)} s`);
  });
});

/**
 * Each ISO format boots under qemu (TCG) the way `run qemu PREFIX` boots
 * it (findBootMedia + buildQemuArgs): iso-bios under SeaBIOS, the EFI ISOs
 * under OVMF. The root filesystem is tiny (busybox + an /init that prints
 * a marker and powers off) and the kernel is the host's, so each boot takes
 * seconds. The full linuxkit-test image is booted in test/e2e/boot-iso.test.ts.
 */
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";
import { isoBiosFormat } from "../../../components/formats/writers/iso-bios";
import { isoEfiFormat } from "../../../components/formats/writers/iso-efi";
import { isoEfiInitrdFormat } from "../../../components/formats/writers/iso-efi-initrd";
import { findOnPath } from "../../../components/formats/blocks/tools";
import type { OutputFormat } from "../../../components/formats/blocks/types";
import { findBootMedia, findOvmf } from "../../../components/qemu/boot-media";
import { buildQemuArgs, type BootMedia } from "../../../components/qemu/qemu-args";
import { hostKernel, runQemu } from "../../helpers/formats/disk-boot";
import { writeTar } from "../../helpers/formats/tar-fixture";
import { withTmpDir } from "../../helpers/formats/tmp";

const MARKER = "LINUXKIT-ISO-BOOT-OK";
const BOOT_TIMEOUT_MS = 120_000;

/** Runs qemu on `media` until it exits (or the timeout); returns the console and seconds taken. */
function bootMedia(media: BootMedia): Promise<{ console: string; seconds: number }> {
  const args = buildQemuArgs({
    media,
    accel: "tcg",
    memoryMiB: 512,
    console: { kind: "stdio" },
    networking: "none",
    ovmfCode: findOvmf(),
  });
  return runQemu(args, BOOT_TIMEOUT_MS);
}

const cases: [OutputFormat, boolean][] = [
  [isoBiosFormat, false],
  [isoEfiFormat, true],
  [isoEfiInitrdFormat, true],
];

describe("ISO formats boot", () => {
  for (const [format, uefi] of cases) {
    it(`${format.name} boots ${uefi ? "under OVMF" : "under SeaBIOS"} with the image's command line`, async (t) => {
      const kernel = await hostKernel();
      const busybox = await findOnPath("busybox", "/bin:/usr/bin");
      if (
        kernel === undefined ||
        busybox === undefined ||
        !(await findOnPath("qemu-system-x86_64"))
      ) {
        t.skip("needs /boot/vmlinuz-*, busybox-static and qemu-system-x86_64");
        return;
      }
      if (uefi && findOvmf() === undefined) {
        t.skip("needs OVMF (apt-get install ovmf)");
        return;
      }
      await withTmpDir(async (dir) => {
        const init = [
          "#!/bin/sh",
          "/bin/busybox mount -t proc proc /proc",
          `/bin/busybox echo "${MARKER} cmdline=$(/bin/busybox cat /proc/cmdline)"`,
          "/bin/busybox poweroff -f",
          "",
        ].join("\n");
        const tarPath = path.join(dir, "rootfs.tar");
        await writeTar(tarPath, [
          { name: "bin", type: "directory" },
          { name: "bin/busybox", type: "file", mode: 0o755, data: await readFile(busybox) },
          { name: "bin/sh", type: "symlink", linkname: "busybox" },
          { name: "boot", type: "directory" },
          {
            name: "boot/cmdline",
            type: "file",
            data: Buffer.from('console=ttyS0 panic=-1 linuxkit.iso="a b" quiet'),
          },
          { name: "boot/kernel", type: "file", data: await readFile(kernel) },
          { name: "dev", type: "directory" },
          { name: "init", type: "file", mode: 0o755, data: Buffer.from(init) },
          { name: "proc", type: "directory" },
        ]);
        const outputDir = path.join(dir, "out");
        await mkdir(outputDir);
        const [artifact] = await format.write({
          name: "lk",
          outputDir,
          rootfsTarPath: tarPath,
          tmpDir: path.join(dir, "tmp"),
          options: {},
        });
        assert.ok(artifact);
        // What `run qemu <outputDir>/lk` picks. `-efi-initrd.iso` is not among
        // its candidates yet, so that one is named directly (and said to be EFI).
        const media =
          format === isoEfiInitrdFormat
            ? findBootMedia(artifact.path, { uefi: true })
            : findBootMedia(path.join(outputDir, "lk"));
        assert.deepEqual(media, {
          kind: "iso",
          path: artifact.path,
          uefi: uefi ? true : undefined,
        });
        const { console, seconds } = await bootMedia(media);
        const line = console.split("\n").find((l) => l.includes(MARKER));
        assert.ok(
          line,
          `marker missing after ${seconds} s; console tail:\n${console.slice(-3000)}`,
        );
        // The quoted parameter reaches the kernel with its meaning intact
        // (ISOLINUX passes it verbatim, GRUB re-quotes the whole word).
        assert.match(
          line,
          /console=ttyS0 panic=-1 (linuxkit\.iso="a b"|"linuxkit\.iso=a b") quiet/,
        );
        t.diagnostic(
          `${format.name}: ${(artifact.size / 1048576).toFixed(1)} MiB, booted in ${seconds.toFixed(1)} s`,
        );
      });
    });
  }
});

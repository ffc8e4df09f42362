/**
 * `iso-efi`: `<name>-efi.iso`, a CD image that boots under UEFI (x86_64)
 * with GRUB, as LinuxKit's mkimage-iso-efi does: an El Torito EFI boot
 * image (a small FAT file system holding `EFI/BOOT/BOOTX64.EFI`, hidden
 * from the directory tree) and the GRUB config at `/EFI/BOOT/grub.cfg`.
 *
 * Unlike LinuxKit, whose ISO is the root filesystem itself (GRUB boots
 * `/boot/kernel` with `root=/dev/sr0`), the root filesystem stays the
 * initrd: `/boot/kernel` + `/boot/initrd.img`, the same initrd
 * `kernel+initrd` writes, so kernels whose CD-ROM and ISO 9660 drivers are
 * modules boot too. `iso-efi-initrd` differs only in the layout
 * (`/kernel`, `/initrd.img`, as LinuxKit's).
 *
 * The loader finds the ISO by its content-derived volume UUID
 * (grub-efi.ts), and boots at once (timeout 0) with GRUB on the serial
 * port and the firmware console.
 *
 * Tools: xorriso; grub-mkimage (grub-common) + grub-efi-amd64-bin; mtools.
 */
import { createHash } from "node:crypto";
import { stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { bootPayloadFor } from "../blocks/boot-payload";
import { FAT_IMAGE_TOOLS, fatSerialFromHash, fatSizeFor, makeFatImage } from "../blocks/fat-image";
import {
  buildGrubEfi,
  EFI_BOOT_PATH,
  GRUB_EFI_TOOLS,
  grubBootConfig,
  grubEarlyConfig,
  grubIsoUuid,
  isoVolumeUuid,
  requireGrubEfi,
} from "../blocks/grub-efi";
import { isoCmdline, isoDigest, makeIso, publishIso, XORRISO_TOOL } from "../blocks/iso-common";
import { withScratchDir } from "../blocks/scratch";
import type { Artifact, FormatContext, OutputFormat } from "../blocks/types";

/** Where an EFI ISO keeps things. */
export interface EfiIsoLayout {
  /** Kernel path in the ISO. */
  kernel: string;
  /** Initrd path in the ISO. */
  initrd: string;
}

/** GRUB's config in every EFI ISO. */
export const EFI_ISO_GRUB_CFG = "/EFI/BOOT/grub.cfg";
/** The El Torito EFI boot image (hidden). */
export const EFI_ISO_BOOT_IMAGE = "/EFI/efiboot.img";

/** An EFI ISO format named `format`, publishing `<name><suffix>`, with `layout`. */
export function efiIsoFormat(format: string, suffix: string, layout: EfiIsoLayout): OutputFormat {
  return {
    name: format,
    files: (name) => [`${name}${suffix}`],
    requiredTools: [XORRISO_TOOL, ...GRUB_EFI_TOOLS, ...FAT_IMAGE_TOOLS],
    usesBootPayload: true,

    async write(ctx: FormatContext): Promise<Artifact[]> {
      await requireGrubEfi();
      const [fileName] = this.files(ctx.name) as [string];
      return withScratchDir(ctx.tmpDir, format.replace(/[^\w-]/g, "_"), async (scratch) => {
        const boot = await bootPayloadFor(ctx, scratch);
        const identity = createHash("sha256")
          .update(`${format}\n${isoDigest(boot)}\n`)
          .digest("hex");
        const volumeUuid = isoVolumeUuid(identity);

        const loader = path.join(scratch, "BOOTX64.EFI");
        await buildGrubEfi(loader, {
          earlyConfig: grubEarlyConfig(grubIsoUuid(volumeUuid), EFI_ISO_GRUB_CFG),
          prefix: path.posix.dirname(EFI_ISO_GRUB_CFG),
          tmpDir: scratch,
          signal: ctx.signal,
        });
        const fat = path.join(scratch, "efiboot.img");
        const sizeKiB = fatSizeFor((await stat(loader)).size, 1);
        await makeFatImage(fat, sizeKiB, [{ dest: EFI_BOOT_PATH, src: loader }], {
          serial: fatSerialFromHash(identity),
          label: "EFIBOOT",
          signal: ctx.signal,
        });

        const cfg = path.join(scratch, "grub.cfg");
        await writeFile(
          cfg,
          grubBootConfig({
            kernel: layout.kernel,
            initrd: layout.initrd,
            cmdline: isoCmdline(boot),
          }),
        );
        const artifact = await publishIso(ctx, format, fileName, (tmp) =>
          makeIso(tmp, {
            files: [
              { dest: EFI_ISO_BOOT_IMAGE, src: fat },
              { dest: EFI_ISO_GRUB_CFG, src: cfg },
              { dest: layout.kernel, src: boot.kernelPath },
              { dest: layout.initrd, src: boot.initrdPath },
            ],
            volumeUuid,
            efi: { imagePath: EFI_ISO_BOOT_IMAGE, catalogPath: "/EFI/boot.cat" },
            signal: ctx.signal,
          }),
        );
        return [artifact];
      });
    },
  };
}

export const isoEfiFormat: OutputFormat = efiIsoFormat("iso-efi", "-efi.iso", {
  kernel: "/boot/kernel",
  initrd: "/boot/initrd.img",
});

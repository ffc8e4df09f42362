/**
 * `iso-bios`: `<name>.iso`, a CD image that boots under BIOS with ISOLINUX
 * (El Torito, no emulation, boot info table) and also from a disk or USB
 * stick (isohybrid MBR), as LinuxKit's mkimage-iso-bios does.
 *
 * Contents: `/isolinux/{isolinux.bin,ldlinux.c32,isolinux.cfg}`,
 * `/boot/kernel` and `/boot/initrd.img` (the same initrd `kernel+initrd`
 * writes: the root filesystem stays an initramfs, so kernels whose CD-ROM
 * and ISO 9660 drivers are modules boot too). The image's command line is
 * the APPEND line. ISOLINUX talks on the serial port (`SERIAL 0 115200`)
 * and boots at once; the kernel's console is what the command line says.
 *
 * Tools: xorriso; isolinux (isolinux.bin, isohdpfx.bin); syslinux-common
 * (ldlinux.c32). No containers, loop devices or mounts.
 */
import { createHash } from "node:crypto";
import { copyFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { bootPayloadFor } from "../blocks/boot-payload";
import { isoVolumeUuid } from "../blocks/grub-efi";
import {
  isoDigest,
  ISOHDPFX_BIN,
  ISOLINUX_BIN,
  LDLINUX_C32,
  makeIso,
  publishIso,
  requireFile,
  XORRISO_TOOL,
} from "../blocks/iso-common";
import { withScratchDir } from "../blocks/scratch";
import type { Artifact, FormatContext, OutputFormat } from "../blocks/types";

const FORMAT = "iso-bios";

/**
 * The `isolinux.cfg`: serial console at 115200 on the first port (and the
 * screen), no prompt, boot `/boot/kernel` + `/boot/initrd.img` with
 * `cmdline` after a tenth of a second.
 */
export function isolinuxConfig(cmdline: string): string {
  const append = cmdline.replace(/\s+/g, " ").trim();
  return [
    "SERIAL 0 115200",
    "PROMPT 0",
    "TIMEOUT 1",
    "DEFAULT linux",
    "LABEL linux",
    "  LINUX /boot/kernel",
    "  INITRD /boot/initrd.img",
    ...(append === "" ? [] : [`  APPEND ${append}`]),
    "",
  ].join("\n");
}

export const isoBiosFormat: OutputFormat = {
  name: FORMAT,
  files: (name) => [`${name}.iso`],
  requiredTools: [XORRISO_TOOL],
  usesBootPayload: true,

  async write(ctx: FormatContext): Promise<Artifact[]> {
    const isolinuxBin = await requireFile("isolinux.bin", ISOLINUX_BIN, "isolinux");
    const isohdpfx = await requireFile("isohdpfx.bin", ISOHDPFX_BIN, "isolinux");
    const ldlinux = await requireFile("ldlinux.c32", LDLINUX_C32, "syslinux-common");
    const [fileName] = this.files(ctx.name) as [string];
    return withScratchDir(ctx.tmpDir, FORMAT, async (scratch) => {
      const boot = await bootPayloadFor(ctx, scratch);
      const cfg = path.join(scratch, "isolinux.cfg");
      await writeFile(cfg, isolinuxConfig(boot.cmdline));
      // The boot info table is patched into the loader: give xorriso a private copy.
      const loader = path.join(scratch, "isolinux.bin");
      await copyFile(isolinuxBin, loader);
      const volumeUuid = isoVolumeUuid(
        createHash("sha256")
          .update(`${FORMAT}\n${isoDigest(boot)}\n`)
          .digest("hex"),
      );
      const artifact = await publishIso(ctx, FORMAT, fileName, (tmp) =>
        makeIso(tmp, {
          files: [
            { dest: "/boot/initrd.img", src: boot.initrdPath },
            { dest: "/boot/kernel", src: boot.kernelPath },
            { dest: "/isolinux/isolinux.bin", src: loader },
            { dest: "/isolinux/isolinux.cfg", src: cfg },
            { dest: "/isolinux/ldlinux.c32", src: ldlinux },
          ],
          volumeUuid,
          bios: {
            binPath: "/isolinux/isolinux.bin",
            catalogPath: "/isolinux/boot.cat",
            hybridMbr: isohdpfx,
          },
          signal: ctx.signal,
        }),
      );
      return [artifact];
    });
  },
};

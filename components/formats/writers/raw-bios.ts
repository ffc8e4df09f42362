/**
 * `raw-bios`: `<name>-bios.img`, a raw disk that boots with a PC BIOS: MBR
 * with syslinux's boot code and one active FAT partition holding SYSLINUX,
 * `/kernel`, `/initrd.img` and `syslinux.cfg` with the image's command
 * line, as LinuxKit's mkimage-raw-bios makes it. Sized as small as fits
 * unless `diskSizeMiB` says otherwise.
 */
import { rawDiskFormat, SMALLEST } from "../blocks/disk-format";

export const rawBiosFormat = rawDiskFormat({
  name: "raw-bios",
  file: (n) => `${n}-bios.img`,
  firmware: "bios",
  sizing: SMALLEST,
});

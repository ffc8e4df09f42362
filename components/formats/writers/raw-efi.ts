/**
 * `raw-efi`: `<name>-efi.img`, a raw disk that boots with UEFI: GPT (with
 * protective MBR and backup table) and one EFI system partition holding
 * GRUB at `\EFI\BOOT\BOOTX64.EFI`, its `grub.cfg`, `/kernel` and
 * `/initrd.img`, as LinuxKit's mkimage-raw-efi makes it. Sized as small as
 * fits unless `diskSizeMiB` says otherwise.
 */
import { rawDiskFormat, SMALLEST } from "../blocks/disk-format";

export const rawEfiFormat = rawDiskFormat({
  name: "raw-efi",
  file: (n) => `${n}-efi.img`,
  firmware: "efi",
  sizing: SMALLEST,
});

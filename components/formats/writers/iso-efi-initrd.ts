/**
 * `iso-efi-initrd`: `<name>-efi-initrd.iso`, LinuxKit's UEFI ISO that boots
 * the root filesystem as an initrd: `/kernel`, `/initrd.img` and
 * `/EFI/BOOT/grub.cfg` on the ISO, GRUB in the El Torito EFI image. Built
 * like `iso-efi` (see iso-efi.ts), with LinuxKit's layout for this format.
 */
import { efiIsoFormat } from "./iso-efi";
import type { OutputFormat } from "../blocks/types";

export const isoEfiInitrdFormat: OutputFormat = efiIsoFormat("iso-efi-initrd", "-efi-initrd.iso", {
  kernel: "/kernel",
  initrd: "/initrd.img",
});

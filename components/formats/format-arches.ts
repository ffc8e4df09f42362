/**
 * Which output formats can be built for which architecture. Everything
 * builds for amd64. For arm64: the formats that only package files
 * (kernel+initrd, tar, tar-kernel-initrd, docker, kernel+squashfs), and
 * those that boot through UEFI with GRUB's arm64 loader (iso-efi,
 * iso-efi-initrd, raw-efi, qcow2-efi, and gcp, whose arm64 disk is GPT +
 * EFI). The BIOS formats (SYSLINUX/ISOLINUX) cannot boot an arm64 machine,
 * which has no BIOS: each names its EFI alternative.
 */
import { ARCH_TABLE, type Arch } from "../arch";
import { LinuxKitError } from "../errors/errors";

/** Formats built for arm64 (amd64 builds every format). */
export const ARM64_FORMATS: ReadonlySet<string> = new Set([
  "kernel+initrd",
  "tar",
  "tar-kernel-initrd",
  "docker",
  "kernel+squashfs",
  "iso-efi",
  "iso-efi-initrd",
  "raw-efi",
  "qcow2-efi",
  "gcp",
]);

/** Formats that boot with BIOS, and the format that boots the same image with UEFI. */
export const EFI_ALTERNATIVES: Readonly<Record<string, string>> = {
  "iso-bios": "iso-efi",
  "kernel+iso": "iso-efi",
  "raw-bios": "raw-efi",
  aws: "raw-efi",
  "qcow2-bios": "qcow2-efi",
  vhd: "raw-efi",
  "dynamic-vhd": "raw-efi",
  vmdk: "raw-efi",
};

/** True when `format` can be built for `arch`. */
export function formatBuildsFor(format: string, arch: Arch): boolean {
  return arch === "amd64" || ARM64_FORMATS.has(format);
}

/** FORMAT_UNKNOWN naming the format, the architecture and what to use instead. */
export function formatArchError(format: string, arch: Arch): LinuxKitError {
  const alternative = EFI_ALTERNATIVES[format];
  const machine = ARCH_TABLE[arch].machine;
  return new LinuxKitError(
    "FORMAT_UNKNOWN",
    alternative !== undefined
      ? `output format ${format} boots with BIOS, which ${arch} (${machine}) machines do not have: use ${alternative}`
      : `output format ${format} is not built for ${arch}`,
    {
      field: "format",
      hint:
        alternative !== undefined
          ? `build --arch ${arch} --format ${alternative} (UEFI); formats for ${arch}: ${[...ARM64_FORMATS].sort().join(", ")}`
          : `formats for ${arch}: ${[...ARM64_FORMATS].sort().join(", ")}`,
    },
  );
}

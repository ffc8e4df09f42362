import { existsSync, readFileSync } from "node:fs";

import { LinuxKitError } from "../errors/errors";
import type { BootMedia } from "./qemu-args";

/** Debian's OVMF firmware, first match wins. */
export const OVMF_CANDIDATES = [
  "/usr/share/OVMF/OVMF_CODE.fd",
  "/usr/share/OVMF/OVMF_CODE_4M.fd",
  "/usr/share/ovmf/OVMF.fd",
  "/usr/share/qemu/OVMF.fd",
];

export function findOvmf(): string | undefined {
  return OVMF_CANDIDATES.find((p) => existsSync(p));
}

/**
 * Finds what `build` wrote for `prefix`, in LinuxKit's order of preference:
 * kernel+initrd, then ISO (BIOS, EFI), then disks. A prefix that is itself
 * an image file is used as it is.
 */
export function findBootMedia(prefix: string, options: { uefi?: boolean } = {}): BootMedia {
  const kernel = `${prefix}-kernel`;
  const initrd = `${prefix}-initrd.img`;
  const cmdlineFile = `${prefix}-cmdline`;
  if (existsSync(kernel) && existsSync(initrd)) {
    const cmdline = existsSync(cmdlineFile) ? readFileSync(cmdlineFile, "utf8").trim() : "";
    return { kind: "kernel+initrd", kernel, initrd, cmdline };
  }
  const candidates: [string, () => BootMedia][] = [
    [prefix, () => mediaForFile(prefix, options.uefi)],
    [`${prefix}.iso`, () => ({ kind: "iso", path: `${prefix}.iso`, uefi: options.uefi })],
    [`${prefix}-efi.iso`, () => ({ kind: "iso", path: `${prefix}-efi.iso`, uefi: true })],
    [
      `${prefix}-efi-initrd.iso`,
      () => ({ kind: "iso", path: `${prefix}-efi-initrd.iso`, uefi: true }),
    ],
    [`${prefix}.qcow2`, () => ({ kind: "disk", path: `${prefix}.qcow2`, format: "qcow2" })],
    [
      `${prefix}-efi.qcow2`,
      () => ({ kind: "disk", path: `${prefix}-efi.qcow2`, format: "qcow2", uefi: true }),
    ],
    [`${prefix}-bios.img`, () => ({ kind: "disk", path: `${prefix}-bios.img`, format: "raw" })],
    [
      `${prefix}-efi.img`,
      () => ({ kind: "disk", path: `${prefix}-efi.img`, format: "raw", uefi: true }),
    ],
    [`${prefix}.raw`, () => ({ kind: "disk", path: `${prefix}.raw`, format: "raw" })],
  ];
  for (const [file, media] of candidates) {
    if (existsSync(file) && !file.endsWith("/")) {
      try {
        return media();
      } catch {
        continue;
      }
    }
  }
  throw new LinuxKitError(
    "USAGE",
    `nothing to boot at ${prefix}: no ${kernel} + ${initrd}, ISO or disk image`,
    {
      hint: `build it first: pulumi-linuxkit build --name ${prefix.split("/").pop() ?? prefix} FILE.yml`,
    },
  );
}

function mediaForFile(file: string, uefi?: boolean): BootMedia {
  if (file.endsWith(".iso")) {
    return {
      kind: "iso",
      path: file,
      uefi: uefi ?? (file.endsWith("-efi.iso") || file.endsWith("-efi-initrd.iso")),
    };
  }
  if (file.endsWith(".qcow2")) return { kind: "disk", path: file, format: "qcow2", uefi };
  if (file.endsWith(".vmdk")) return { kind: "disk", path: file, format: "vmdk", uefi };
  if (file.endsWith(".vhd")) return { kind: "disk", path: file, format: "vpc", uefi };
  if (file.endsWith(".img") || file.endsWith(".raw")) {
    return { kind: "disk", path: file, format: "raw", uefi: uefi ?? file.endsWith("-efi.img") };
  }
  throw new Error("not an image file");
}

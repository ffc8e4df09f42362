/**
 * The qemu machine of each architecture: one row per {@link Arch}, read by
 * the argument builder, the firmware lookup and everything that starts
 * qemu (run qemu, QemuVm, QemuFleet).
 *
 * - amd64: `qemu-system-x86_64 -machine pc` (SeaBIOS, or OVMF for EFI
 *   media), console on the 8250 UART `ttyS0`, CD-ROMs on IDE.
 * - arm64: `qemu-system-aarch64 -machine virt` with `-cpu max` under TCG
 *   (`pauth-impdef=on`: the same CPU with qemu's cheap pointer
 *   authentication, which is much faster to emulate than the
 *   architected one) or `host` under KVM; no BIOS, so ISOs and disks boot
 *   with AAVMF (edk2); console on the PL011 `ttyAMA0`; CD-ROMs on
 *   virtio-scsi (virt has no IDE).
 */
import type { Arch } from "../arch";
import type { QemuAccel } from "./accel";
import { qemuOptValue } from "./qemu-option";

export interface UefiFirmware {
  /** For messages: `OVMF`, `AAVMF`. */
  readonly name: string;
  /** Debian's firmware code images, first existing one wins. */
  readonly candidates: readonly string[];
  readonly debianPackage: string;
}

export interface QemuMachine {
  /** The qemu command. */
  readonly binary: string;
  /** The Debian package providing it. */
  readonly debianPackage: string;
  /** `-machine` (before `,accel=`). */
  readonly machine: string;
  /** `-cpu` per accelerator; undefined: qemu's default. */
  readonly cpu: Readonly<Record<QemuAccel, string | undefined>>;
  /** The guest's serial console device (for `console=` on the kernel command line). */
  readonly console: string;
  /** Whether ISOs and disks can boot without UEFI. */
  readonly biosBoot: boolean;
  readonly firmware: UefiFirmware;
  /** Arguments attaching an ISO as the boot CD-ROM. */
  readonly cdrom: (isoPath: string) => string[];
}

export const QEMU_MACHINES: Readonly<Record<Arch, QemuMachine>> = {
  amd64: {
    binary: "qemu-system-x86_64",
    debianPackage: "qemu-system-x86",
    machine: "pc",
    cpu: { kvm: "host", tcg: undefined },
    console: "ttyS0",
    biosBoot: true,
    firmware: {
      name: "OVMF",
      candidates: [
        "/usr/share/OVMF/OVMF_CODE.fd",
        "/usr/share/OVMF/OVMF_CODE_4M.fd",
        "/usr/share/ovmf/OVMF.fd",
        "/usr/share/qemu/OVMF.fd",
      ],
      debianPackage: "ovmf",
    },
    cdrom: (iso) => ["-cdrom", iso, "-boot", "d"],
  },
  arm64: {
    binary: "qemu-system-aarch64",
    debianPackage: "qemu-system-arm",
    machine: "virt",
    cpu: { kvm: "host", tcg: "max,pauth-impdef=on" },
    console: "ttyAMA0",
    biosBoot: false,
    firmware: {
      name: "AAVMF",
      candidates: ["/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/qemu/edk2-aarch64-code.fd"],
      debianPackage: "qemu-efi-aarch64",
    },
    cdrom: (iso) => [
      "-device",
      "virtio-scsi-pci,id=scsi0",
      "-drive",
      `if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=${qemuOptValue(iso)}`,
      "-device",
      "scsi-cd,bus=scsi0.0,drive=cd0,bootindex=0",
    ],
  },
};

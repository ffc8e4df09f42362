/**
 * `qcow2-bios` (`<name>.qcow2`) and `qcow2-efi` (`<name>-efi.qcow2`): the
 * `raw-bios` / `raw-efi` disks converted by `qemu-img convert -O qcow2`.
 * qemu-img's qcow2 output has no timestamps or random ids and its writes
 * are in order, so it is reproducible as is (tested).
 */
import { convertedDiskFormat, SMALLEST } from "../blocks/disk-format";

export const qcow2BiosFormat = convertedDiskFormat({
  name: "qcow2-bios",
  file: (n) => `${n}.qcow2`,
  firmware: "bios",
  sizing: SMALLEST,
  qemuFormat: "qcow2",
});

export const qcow2EfiFormat = convertedDiskFormat({
  name: "qcow2-efi",
  file: (n) => `${n}-efi.qcow2`,
  firmware: "efi",
  sizing: SMALLEST,
  qemuFormat: "qcow2",
});

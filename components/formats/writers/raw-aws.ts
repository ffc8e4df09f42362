/**
 * `aws`: `<name>.raw`, the raw BIOS disk of `raw-bios` (MBR + SYSLINUX on
 * a FAT partition) sized in whole GiB, as EBS volumes are: `diskSizeMiB`
 * rounded up to GiB, by default 1 GiB (LinuxKit's default `--size`). The
 * file is sparse: only the partition's data takes room.
 */
import { rawDiskFormat, WHOLE_GIB } from "../blocks/disk-format";

export const awsFormat = rawDiskFormat({
  name: "aws",
  file: (n) => `${n}.raw`,
  firmware: "bios",
  sizing: WHOLE_GIB,
});

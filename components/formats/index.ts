/** Output formats: the table, the writers and the building blocks they share. */
export * from "./table";
export {
  ArtifactSet,
  publishTogether,
  tempPathFor,
  writeAtomic,
  type AtomicOptions,
  type Produce,
} from "./atomic-file";
export {
  BOOT_CMDLINE,
  BOOT_KERNEL,
  BOOT_UCODE,
  isBootFile,
  splitBootFiles,
  type BootFiles,
} from "./boot/boot-files";
export { DEFAULT_GZIP_LEVEL, gzipChunks, initrdChunks, type InitrdOptions } from "./boot/initrd";
export { cpioChunks, tarToCpio, DEFAULT_BATCH_BYTES, type CpioOptions } from "./archive/newc-cpio";
export { scanTar, type TarScan, type TarScanOptions } from "./archive/tar-scan";
export {
  normalizeTarName,
  readTarEntries,
  DEFAULT_HIGH_WATER_MARK,
  type TarHeader,
} from "./archive/tar-read";
export { findOnPath, requireTool } from "./tools";
export { writeChunksToFile, type WrittenFile } from "./file-sink";
export { kernelInitrdFormat } from "./boot/kernel-initrd";
export { tarFormat } from "./archive/tar";
export { tarKernelInitrdFormat } from "./archive/tar-kernel-initrd";

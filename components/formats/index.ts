/** Output formats: the table, the writers and the building blocks they share. */
export * from "./table";
export {
  ArtifactSet,
  publishTogether,
  tempPathFor,
  writeAtomic,
  type AtomicOptions,
  type Produce,
} from "./blocks/atomic-file";
export {
  BOOT_CMDLINE,
  BOOT_KERNEL,
  BOOT_UCODE,
  isBootFile,
  splitBootFiles,
  type BootFiles,
} from "./blocks/boot-files";
export { DEFAULT_GZIP_LEVEL, gzipChunks, initrdChunks, type InitrdOptions } from "./blocks/initrd";
export { cpioChunks, tarToCpio, DEFAULT_BATCH_BYTES, type CpioOptions } from "./blocks/newc-cpio";
export { scanTar, type TarScan, type TarScanOptions } from "../tar/tar-scan";
export { readTarEntries, DEFAULT_HIGH_WATER_MARK } from "../tar/tar-read";
export { normaliseName, type TarHeader } from "../tar/tar-header";
export { findOnPath, requireTool } from "./blocks/tools";
export { writeChunksToFile, type WrittenFile } from "../tar/file-sink";
export { kernelInitrdFormat } from "./writers/kernel-initrd";
export { tarFormat } from "./writers/tar";
export { tarKernelInitrdFormat } from "./writers/tar-kernel-initrd";

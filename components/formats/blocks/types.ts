/** The contract between the build pipeline and the output format writers. */
import type { WrittenFile } from "../../tar/file-sink";
import type { RootfsReader } from "../../tar/rootfs-entries";

/** A command a format runs, and the Debian package that provides it. */
export interface ToolRequirement {
  command: string;
  debianPackage: string;
}

/** Tunables shared by format writers. */
export interface FormatOptions {
  /** gzip level 0-9 for compressed outputs (initrd, gcp tar.gz). Default 1 (DEFAULT_GZIP_LEVEL). */
  gzipLevel?: number;
  /** Size of disk image outputs, in MiB (used by disk formats). */
  diskSizeMiB?: number;
}

/** Everything a format writer needs. */
export interface FormatContext {
  /** Base name of the outputs, e.g. `linuxkit` → `linuxkit-kernel`. */
  name: string;
  /** Directory the artifacts are published into. */
  outputDir: string;
  /**
   * True when `outputDir` is a private staging folder that the caller
   * publishes itself once every format succeeded (the build pipeline):
   * writers then write their files straight under their final names, with
   * no temporary name, fsync or rename of their own. Default false: each
   * writer publishes its files in `outputDir` all together or not at all.
   */
  staged?: boolean;
  /**
   * The boot payload (kernel, initrd, command line) of this root
   * filesystem, made once by the caller for every format that boots it.
   * When absent, a format that needs it makes its own in its scratch folder.
   */
  boot?: BootPayload;
  /**
   * The root filesystem tar produced by the build (sorted, deterministic).
   * The build pipeline writes it only when a chosen format declares
   * {@link OutputFormat.readsRootfsTar}; others read {@link rootfs}.
   */
  rootfsTarPath: string;
  /**
   * The same root filesystem as entries, straight from the build's spool
   * (no tar written or parsed). When absent, readers fall back to the tar.
   */
  rootfs?: RootfsReader;
  /** Scratch directory for intermediate files; the writer cleans up what it creates. */
  tmpDir: string;
  /** Aborting stops the writer; nothing partial is published. */
  signal?: AbortSignal;
  /** Progress messages, one line each. */
  log?: (msg: string) => void;
  options: FormatOptions;
}

/** One published file. */
export interface Artifact {
  /** The format that produced it, e.g. `kernel+initrd`. */
  format: string;
  /** Absolute path of the file. */
  path: string;
  /** Bytes. */
  size: number;
  /** Lower-case hex sha256 of the contents. */
  sha256: string;
}

/** One output format: a row of the formats table. */
export interface OutputFormat {
  /** The name users give, as in LinuxKit (`kernel+initrd`, `tar`, ...). */
  name: string;
  /** The file names (no directory) the format publishes for base name `name`, in order. */
  files(name: string): string[];
  /** Writes the artifacts; all of them are published or none. */
  write(ctx: FormatContext): Promise<Artifact[]>;
  /** External commands the writer runs; checked before any work starts. */
  requiredTools?: ToolRequirement[];
  /**
   * True when the writer boots the image from its kernel and initrd (the
   * boot payload), so a build makes that payload once and passes it in
   * {@link FormatContext.boot}.
   */
  usesBootPayload?: boolean;
  /**
   * True when the writer reads the root filesystem tar file itself
   * ({@link FormatContext.rootfsTarPath}) rather than the boot payload or
   * {@link FormatContext.rootfs}, so the build must write that tar.
   */
  readsRootfsTar?: boolean;
}

/** Kernel, initrd and command line of an image, ready to put on a boot medium. */
export interface BootPayload {
  /** `boot/kernel`, byte for byte. */
  kernelPath: string;
  /** Microcode cpio (if any) + gzip'd cpio of the root filesystem without `boot/`. */
  initrdPath: string;
  /** The image's command line, newlines turned into spaces, trimmed. */
  cmdline: string;
  /** mtime of `boot/kernel` in the tar (seconds). */
  kernelMtime: number;
  /**
   * sha256 over the kernel, initrd and (normalised) command line: the seed
   * of every id the disk formats derive (GUIDs, FAT serials, VMDK CID...).
   */
  digest: string;
  /** Size and sha256 of the kernel file. */
  kernel: WrittenFile;
  /** Size and sha256 of the initrd file. */
  initrd: WrittenFile;
  /** `boot/cmdline` exactly as in the tar (no newline added; empty if absent). */
  cmdlineBytes: Buffer;
  /** Lower-case hex sha256 of {@link cmdlineBytes}. */
  cmdlineSha256: string;
  /** True when the image has CPU microcode (`boot/ucode.cpio`), put first in the initrd. */
  hasUcode: boolean;
}

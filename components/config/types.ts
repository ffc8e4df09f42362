/**
 * The typed form of a LinuxKit YAML configuration.
 *
 * Field names are LinuxKit's own, so a parsed document round-trips to the
 * same YAML. An optional field that is `undefined` was not set; an empty
 * list or string that is present was set to empty (LinuxKit distinguishes
 * the two, e.g. `capabilities: []` drops the label's capabilities).
 */

/** An OCI mount as written in YAML (`mounts:` and `runtime.mounts:`). */
export interface MountSpec {
  destination?: string;
  /** Inferred from `source` (proc, sysfs, ...) or `/dev` when absent. */
  type?: string;
  /** A path, or a volume name (no leading `/`) for `bind` mounts. */
  source?: string;
  options?: string[];
  /** Id-mapped mount (OCI `uidMappings`); spelled in lower case as in LinuxKit's schema. */
  uidmappings?: IdMappingSpec[];
  /** Id-mapped mount (OCI `gidMappings`); spelled in lower case as in LinuxKit's schema. */
  gidmappings?: IdMappingSpec[];
}

/**
 * A device exposed to a container. `path: all` instead allows every device
 * of `type` in the device cgroup (then `major`, `minor`, `mode` are unused).
 */
export interface DeviceSpec {
  path: string;
  /** `c`, `b`, `u` or `p` (`a` also accepted with `path: all`). */
  type: string;
  /** Default 0, as in LinuxKit. */
  major: number;
  /** Default 0, as in LinuxKit. */
  minor: number;
  /** Octal file mode as a string, e.g. "0666". Required unless `path` is `all`. */
  mode?: string;
}

/** OCI id mapping for user namespaces. A field left out is 0, as in LinuxKit. */
export interface IdMappingSpec {
  containerID: number;
  hostID: number;
  size: number;
}

/** A network interface moved or created for a container at boot. */
export interface InterfaceSpec {
  name?: string;
  add?: string;
  peer?: string;
  createInRoot?: boolean;
}

/** Paths to bind a container's namespaces to. */
export interface BindNamespacesSpec {
  cgroup?: string;
  ipc?: string;
  mnt?: string;
  net?: string;
  pid?: string;
  user?: string;
  uts?: string;
}

/** Work done by init at boot, not part of the OCI spec (`runtime.json`). */
export interface RuntimeSpec {
  cgroups?: string[];
  mounts?: MountSpec[];
  mkdir?: string[];
  interfaces?: InterfaceSpec[];
  bindNS?: BindNamespacesSpec;
  namespace?: string;
}

/**
 * The container settings an image entry and the `org.mobyproject.config`
 * label share. `uid`/`gid`/`additionalGids` accept a number or the name of
 * another container (resolved to that container's uid).
 */
export interface ImageConfigSpec {
  capabilities?: string[];
  "capabilities.add"?: string[];
  ambient?: string[];
  mounts?: MountSpec[];
  binds?: string[];
  "binds.add"?: string[];
  devices?: DeviceSpec[];
  tmpfs?: string[];
  command?: string[];
  env?: string[];
  cwd?: string;
  net?: string;
  pid?: string;
  ipc?: string;
  uts?: string;
  userns?: string;
  hostname?: string;
  readonly?: boolean;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  uid?: number | string;
  gid?: number | string;
  additionalGids?: (number | string)[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
  rootfsPropagation?: string;
  cgroupsPath?: string;
  /** OCI `LinuxResources`, passed through as written. */
  resources?: Record<string, unknown>;
  sysctl?: Record<string, string>;
  /** `name,soft,hard`, e.g. `RLIMIT_NOFILE,1024,2048`. */
  rlimits?: string[];
  uidMappings?: IdMappingSpec[];
  gidMappings?: IdMappingSpec[];
  annotations?: Record<string, string>;
  runtime?: RuntimeSpec;
}

/** An entry of `onboot`, `onshutdown` or `services`. */
export interface ImageEntrySpec extends ImageConfigSpec {
  name: string;
  image: string;
}

export interface KernelSpec {
  image: string;
  cmdline?: string;
  /** Path of the kernel binary inside the image. Default `kernel`. */
  binary?: string;
  /** Path of the modules tarball inside the image. Default `kernel.tar`; `none` disables. */
  tar?: string;
  /** Path of a CPU microcode cpio inside the image, prepended to the initrd. */
  ucode?: string;
}

export interface FileSpec {
  /**
   * Path in the root filesystem, as normalised by the parser: leading `/`
   * stripped, `.`/`..`/duplicate slashes resolved (a path leaving the root
   * is rejected), no trailing slash.
   */
  path: string;
  directory?: boolean;
  symlink?: string;
  contents?: string;
  /**
   * Host file to copy. The parser expands a leading `~/` and makes a
   * relative path absolute against the directory of the YAML file that
   * wrote it (an object input: the `baseDir` option, default the cwd).
   */
  source?: string;
  /** `yaml` or `json`: the file holds the resolved configuration. */
  metadata?: string;
  optional?: boolean;
  /** Octal string, e.g. "0644". Default 0600 for files, 0700 for directories. */
  mode?: string;
  uid?: number | string;
  gid?: number | string;
}

export interface VolumeSpec {
  name: string;
  image?: string;
  readonly?: boolean;
  /** `filesystem` (default) or `oci`. */
  format?: string;
  platforms?: string[];
}

export interface TrustSpec {
  image?: string[];
  org?: string[];
}

/** An entry of `outputs:` (moby-era YAML): an output format to build. */
export interface OutputSpec {
  /** A format name, e.g. `kernel+initrd`, `iso-bios`, `iso-efi`. */
  format: string;
}

/** A whole LinuxKit configuration, after merging every input file. */
export interface LinuxKitSpec {
  kernel?: KernelSpec;
  init: string[];
  onboot: ImageEntrySpec[];
  onshutdown: ImageEntrySpec[];
  services: ImageEntrySpec[];
  files: FileSpec[];
  volumes: VolumeSpec[];
  /** Accepted for compatibility and ignored: content trust was removed upstream. */
  trust?: TrustSpec;
  /**
   * Output formats named in the YAML, as the moby-era tool read them
   * (merged across files in order, duplicates dropped). Built when no
   * format is chosen explicitly; see {@link outputFormats}.
   */
  outputs?: OutputSpec[];
}

/**
 * One input document before merging: like {@link LinuxKitSpec}, except that
 * a `kernel` section may leave `image` to another file (LinuxKit merges
 * kernel fields one by one, so a later file can override only `cmdline`).
 */
export type LinuxKitSpecFragment = Omit<LinuxKitSpec, "kernel"> & {
  kernel?: Partial<KernelSpec>;
};

/**
 * Where a value came from, for error messages: the file and the 1-based
 * line and column of the node in that file.
 */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

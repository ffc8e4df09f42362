/**
 * The part of the OCI runtime spec (config.json) LinuxKit writes. Optional
 * members are left out when empty, as Go's `omitempty` does; members are
 * built in the order of the Go structs so the JSON text matches LinuxKit's.
 */

/**
 * The `ociVersion` LinuxKit writes: the version of the runtime-spec it
 * vendors (src/cmd/linuxkit/go.mod and vendor/.../specs-go/version.go:
 * v1.2.1).
 */
export const OCI_VERSION = "1.2.1";

export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
}

export interface OciRlimit {
  /** `RLIMIT_*`. */
  type: string;
  /** uint64; `bigint` so that unlimited (2^64-1) is exact. */
  hard: bigint;
  soft: bigint;
}

export interface OciCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

export interface OciProcess {
  user: OciUser;
  args?: string[];
  env?: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits?: OciRlimit[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

export interface OciNamespace {
  /** `network`, `ipc`, `uts`, `pid`, `user`, `mount` or `cgroup`. */
  type: string;
  /** Join the namespace at this path instead of creating one. */
  path?: string;
}

export interface OciDevice {
  path: string;
  type: string;
  major: number;
  minor: number;
  /** File mode as a number (0o666 is written 438, as Go writes `os.FileMode`). */
  fileMode?: number;
}

/** A device-cgroup rule (`linux.resources.devices[]`). */
export interface OciDeviceRule {
  allow: boolean;
  type?: string;
  major?: number;
  minor?: number;
  access?: string;
}

/** OCI `LinuxResources`: the known members in Go order, others passed through. */
export interface OciResources {
  devices?: OciDeviceRule[];
  [member: string]: unknown;
}

export interface OciLinux {
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  sysctl?: Record<string, string>;
  resources: OciResources;
  cgroupsPath?: string;
  namespaces: OciNamespace[];
  devices?: OciDevice[];
  rootfsPropagation?: string;
  maskedPaths?: string[];
  readonlyPaths?: string[];
}

/** A config.json as LinuxKit writes it. */
export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: OciLinux;
}

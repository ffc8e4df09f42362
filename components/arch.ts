/**
 * The CPU architectures images are built for, and what each is called by
 * the parts that meet it: the image platform (Docker/OCI), `uname -m`
 * (qemu, iPXE, LinuxKit's `run --arch`) and Compute Engine. One row per
 * architecture; every other table (qemu machines, GRUB targets, formats)
 * is keyed by {@link Arch}.
 */
import { LinuxKitError, type LinuxKitErrorCode } from "./errors/errors";

/** Architecture names as LinuxKit's `build --arch` and OCI platforms spell them. */
export type Arch = "amd64" | "arm64";

export interface ArchInfo {
  readonly arch: Arch;
  /** `uname -m`: qemu's `qemu-system-<machine>`, iPXE script arch, `linuxkit run --arch`. */
  readonly machine: "x86_64" | "aarch64";
  /** The OCI platform (`os/architecture`). */
  readonly platform: string;
  /** Compute Engine's `architecture` of an image. */
  readonly gcpArchitecture: "X86_64" | "ARM64";
}

export const ARCH_TABLE: Readonly<Record<Arch, ArchInfo>> = {
  amd64: { arch: "amd64", machine: "x86_64", platform: "linux/amd64", gcpArchitecture: "X86_64" },
  arm64: { arch: "arm64", machine: "aarch64", platform: "linux/arm64", gcpArchitecture: "ARM64" },
};

export const ARCHES: readonly Arch[] = Object.keys(ARCH_TABLE) as Arch[];

/** The default: what this project built before it knew other architectures. */
export const DEFAULT_ARCH: Arch = "amd64";

/** Other spellings users write for an architecture (`uname -m`, Go's and Docker's). */
const ALIASES: Readonly<Record<string, Arch>> = {
  amd64: "amd64",
  x86_64: "amd64",
  "linux/amd64": "amd64",
  arm64: "arm64",
  aarch64: "arm64",
  "linux/arm64": "arm64",
  "linux/arm64/v8": "arm64",
};

export function isArch(value: unknown): value is Arch {
  return typeof value === "string" && Object.hasOwn(ARCH_TABLE, value);
}

/**
 * `amd64`/`x86_64` → amd64, `arm64`/`aarch64` → arm64; anything else is an
 * error (`code`, default SPEC_INVALID; USAGE for command-line flags)
 * naming `field` (e.g. `--arch`, `arch`).
 */
export function parseArch(
  value: string,
  field = "arch",
  code: LinuxKitErrorCode = "SPEC_INVALID",
): Arch {
  const arch = ALIASES[value.trim().toLowerCase()];
  if (arch !== undefined) return arch;
  throw new LinuxKitError(code, `${field}: unknown architecture ${JSON.stringify(value)}`, {
    field,
    hint: `use one of ${ARCHES.join(", ")}`,
  });
}

/**
 * The architecture an engine or registry reports for an image (`amd64`,
 * `arm64`, `aarch64`, ...) as an {@link Arch}, or undefined for one this
 * project does not build (e.g. `s390x`).
 */
export function archOfImage(architecture: string | undefined): Arch | undefined {
  return architecture === undefined ? undefined : ALIASES[architecture.toLowerCase()];
}

/**
 * Architectures on Compute Engine: which machine series are Arm, what an
 * image of each architecture must declare, and the check that a machine
 * type can boot an image (an arm64 image on an x86 machine, or the
 * reverse, fails to boot only after the instance is created: refused at
 * preview instead).
 */
import { ARCH_TABLE, type Arch } from "../../arch";
import { LinuxKitError } from "../../errors/errors";

/**
 * Compute Engine's Arm machine series (Ampere Altra T2A, Google Axion C4A
 * and N4A, Grace A4X); every other series is x86-64.
 */
export const ARM_MACHINE_SERIES: readonly string[] = ["t2a", "c4a", "n4a", "a4x"];

/** The series of a machine type (`t2a-standard-1`, `zones/z/machineTypes/c4a-highcpu-4` → `t2a`, `c4a`). */
export function machineSeries(machineType: string): string {
  const last = machineType.split("/").pop() ?? machineType;
  return (last.split("-")[0] ?? last).toLowerCase();
}

/** The architecture a machine type runs. */
export function machineTypeArch(machineType: string): Arch {
  return ARM_MACHINE_SERIES.includes(machineSeries(machineType)) ? "arm64" : "amd64";
}

/**
 * The image fields an architecture needs: arm64 images are
 * `UEFI_COMPATIBLE` (Arm machines boot UEFI only; the arm64 `gcp` disk is
 * GPT + EFI) and their disks `architecture: ARM64`. amd64 images keep what
 * they always had (no architecture: GCE's default is X86_64).
 */
export function imageArchFields(arch: Arch): {
  architecture?: string;
  guestOsFeatures: { type: string }[];
} {
  return arch === "amd64"
    ? { guestOsFeatures: [{ type: "VIRTIO_SCSI_MULTIQUEUE" }] }
    : {
        architecture: ARCH_TABLE[arch].gcpArchitecture,
        guestOsFeatures: [{ type: "VIRTIO_SCSI_MULTIQUEUE" }, { type: "UEFI_COMPATIBLE" }],
      };
}

/** GCP_ARGS unless `machineType` runs images of `imageArch`. */
export function checkMachineType(machineType: string, imageArch: Arch): void {
  const machineArch = machineTypeArch(machineType);
  if (machineArch === imageArch) return;
  const series = machineSeries(machineType);
  throw new LinuxKitError(
    "GCP_ARGS",
    `machineType ${machineType} is ${machineArch === "arm64" ? "an Arm" : "an x86-64"} machine (${series}), ` +
      `but the image is built for ${imageArch}`,
    {
      field: "machineType",
      hint:
        imageArch === "arm64"
          ? `use an Arm machine type (${ARM_MACHINE_SERIES.map((s) => `${s}-…`).join(", ")}, e.g. t2a-standard-1), or build the Image with arch amd64`
          : "use an x86-64 machine type (e.g. e2-small), or build the Image with arch arm64",
    },
  );
}

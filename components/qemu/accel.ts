import { accessSync, constants } from "node:fs";

/** How qemu runs guest code: hardware virtualisation or software emulation. */
export type QemuAccel = "kvm" | "tcg";
export type QemuAccelChoice = QemuAccel | "auto";

/** Environment variable that overrides the accelerator, as LinuxKit's `run qemu` honours it. */
export const ACCEL_ENV = "LINUXKIT_QEMU_ACCEL";

/**
 * Chooses the accelerator: `LINUXKIT_QEMU_ACCEL` wins when set (nested
 * setups where `/dev/kvm` exists but guests hang must be able to force
 * `tcg`), then an explicit choice, and `auto` means kvm when `/dev/kvm` is
 * usable, tcg otherwise.
 */
export function chooseAccel(
  choice: QemuAccelChoice = "auto",
  env: NodeJS.ProcessEnv = process.env,
): QemuAccel {
  const forced = env[ACCEL_ENV]?.trim().toLowerCase();
  if (forced === "kvm" || forced === "tcg") return forced;
  if (choice !== "auto") return choice;
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    return "kvm";
  } catch {
    return "tcg";
  }
}

import type { Descriptor, Platform } from "./media-types";

/** The architectures images are chosen for, by Go's names (as OCI platforms use them). */
export const SUPPORTED_ARCHES = ["amd64", "arm64"] as const;

/** The platform a build for `arch` wants: linux/<arch>, with arm64's usual variant v8. */
export function platformFor(arch: string): Platform {
  return arch === "arm64"
    ? { os: "linux", architecture: "arm64", variant: "v8" }
    : { os: "linux", architecture: arch };
}

/** `linux/arm64/v8`, for messages. */
export function platformName(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/**
 * The entry of an index that serves `want`: same os and architecture; for
 * a wanted variant, an entry with that variant is preferred over one that
 * names none (arm64 images often omit `v8`). Attestation entries
 * (`unknown/unknown`) never match. Undefined when none fits.
 */
export function selectPlatform(
  manifests: readonly Descriptor[],
  want: Platform,
): Descriptor | undefined {
  const candidates = manifests.filter(
    (m) => m.platform?.os === want.os && m.platform.architecture === want.architecture,
  );
  if (want.variant !== undefined) {
    const exact = candidates.find((m) => m.platform?.variant === want.variant);
    if (exact !== undefined) return exact;
    return candidates.find((m) => m.platform?.variant === undefined);
  }
  return candidates.find((m) => m.platform?.variant === undefined) ?? candidates[0];
}

import type * as pulumi from "@pulumi/pulumi";

/** Metadata key LinuxKit's `metadata` package reads (as `gcp`) into `/run/config`. */
export const USER_DATA_KEY = "user-data";

/**
 * Instance metadata for a LinuxKit guest: the serial console readable
 * (`gcloud compute connect-to-serial-port`, as `linuxkit run gcp` sets it),
 * and `user-data` when given. A secret `userData` stays secret: it is
 * placed as is, never unwrapped.
 */
export function instanceMetadata(
  userData: pulumi.Input<string> | undefined,
): Record<string, pulumi.Input<string>> {
  const metadata: Record<string, pulumi.Input<string>> = { "serial-port-enable": "TRUE" };
  if (userData !== undefined) metadata[USER_DATA_KEY] = userData;
  return metadata;
}

import { LinuxKitError } from "../errors/errors";
import type { ImageSource, PullProgress, ResolvedImage } from "../sources/image-source";
import type { SpecLocations } from "../config/locations";
import { imageFields } from "../config/locations";
import type { LinuxKitSpec } from "../config/types";

/**
 * Resolves every image the configuration names, once per reference, and
 * ties any failure to the YAML line that uses the image.
 */
export async function resolveImages(
  spec: LinuxKitSpec,
  source: ImageSource,
  options: {
    pull?: boolean;
    offline?: boolean;
    locations?: SpecLocations;
    onProgress?: (p: PullProgress) => void;
  },
): Promise<Map<string, ResolvedImage>> {
  const resolved = new Map<string, ResolvedImage>();
  for (const [field, ref] of imageFields(spec)) {
    if (resolved.has(ref)) continue;
    try {
      resolved.set(
        ref,
        await source.resolve(ref, {
          pull: options.pull,
          offline: options.offline,
          onProgress: options.onProgress,
        }),
      );
    } catch (e) {
      if (!(e instanceof LinuxKitError) || e.code === "DOCKER_UNREACHABLE") throw e;
      const where = options.locations?.detailsFor(field) ?? { field };
      const uses = options.locations?.imageUses(ref) ?? [];
      const also =
        uses.length > 1
          ? ` (used ${uses.length} times: ${uses.map((u) => u.field).join(", ")})`
          : "";
      throw new LinuxKitError(e.code, `${field}: ${e.message}${also}`, {
        ...where,
        image: ref,
        hint: e.hint,
        cause: e,
      });
    }
  }
  return resolved;
}

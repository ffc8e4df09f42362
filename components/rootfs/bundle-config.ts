import type { ResolvedImage } from "../sources/image-source";
import type { SpecLocations } from "../config/locations";
import type { LinuxKitSpec, ImageEntrySpec } from "../config/types";
import { ociConfig, serializeOciConfig } from "./oci-config";
import { runtimeJson } from "./runtime-config";

/** What a container bundle needs from the rest of the build. */
export interface BundleContext {
  /** Container name → uid/gid, for `uid: <name>`. */
  idFor(name: string): number | undefined;
  /** The whole configuration (volumes are looked up by name). */
  spec: LinuxKitSpec;
  locations?: SpecLocations;
}

/** config.json, whether the root is read-only, and runtime.json once the bundle's place is known. */
export interface BundleFiles {
  config: string;
  readonly: boolean;
  runtimeFor(prefix: string, root: string): string;
}

/** Generates one container's config.json and runtime.json following LinuxKit's rules. */
export function bundleFiles(
  entry: ImageEntrySpec,
  image: ResolvedImage,
  field: string,
  ctx: BundleContext,
): BundleFiles {
  const volumes = new Map(ctx.spec.volumes.map((v) => [v.name, { readonly: v.readonly === true }]));
  const result = ociConfig(entry, image, { idFor: ctx.idFor, volumes, location: field });
  return {
    config: serializeOciConfig(result.config),
    readonly: result.readonly,
    // the merged runtime (label < YAML), as LinuxKit writes it: an image label's runtime.mkdir counts
    runtimeFor: (prefix, root) => runtimeJson(prefix, root, result.readonly, result.runtime),
  };
}

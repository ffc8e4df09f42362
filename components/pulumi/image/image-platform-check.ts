import type { Arch } from "../../arch";
import type { ParsedSpec } from "../../config";
import { imageFields } from "../../config/locations";
import { LinuxKitError } from "../../errors/errors";
import { DockerImageSource } from "../../sources/docker-image-source";

/**
 * The images of an Image's configuration that the Docker engine already
 * holds for another architecture than the Image's `arch`, each an
 * IMAGE_PLATFORM error naming the image and its field (and line), as a
 * build would say it. Inspects only: nothing is pulled.
 *
 * The Image's check runs this so that a preview of a *new* Image fails on
 * a mixed configuration (an amd64-only image in an arm64 Image): Pulumi
 * calls check, not diff, for a resource it is about to create. Images the
 * engine does not hold, an engine that does not answer and the registry
 * source (`source: registry`: answering needs the network) give no
 * verdict here; diff (for an Image in state) and the build say it then.
 */
export async function enginePlatformErrors(
  parsed: ParsedSpec,
  arch: Arch,
  source: string | undefined,
): Promise<LinuxKitError[]> {
  if (source === "registry") return [];
  const engine = new DockerImageSource();
  const errors: LinuxKitError[] = [];
  const seen = new Set<string>();
  for (const [field, ref] of imageFields(parsed.spec)) {
    if (seen.has(ref)) continue;
    seen.add(ref);
    try {
      await engine.resolve(ref, { offline: true, arch });
    } catch (e) {
      if (!(e instanceof LinuxKitError)) throw e;
      if (e.code === "DOCKER_UNREACHABLE") return [];
      if (e.code !== "IMAGE_PLATFORM") continue;
      errors.push(
        new LinuxKitError(e.code, `${field}: ${e.message}`, {
          ...parsed.locations.detailsFor(field),
          image: ref,
          hint: e.hint,
          cause: e,
        }),
      );
    }
  }
  return errors;
}

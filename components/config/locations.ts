/**
 * Where each value of a parsed configuration was written, so later stages
 * (an image pull failing, a `files[].source` missing) can point at the
 * YAML line that asked for it.
 *
 * Look-ups take a field path as used in errors (see paths.ts), with or
 * without entry names: `locationOf("files[3].source")`,
 * `locationOf("services[1] (sshd).binds[0]")`. Paths are those of the
 * merged configuration: the second file's first service is `services[n]`
 * when the first file had n services.
 */
import type { LinuxKitErrorDetails } from "../errors/errors";
import { expandImageRef } from "./image-ref";
import { fieldPath, indexPath, plainPath } from "./paths";
import type { LinuxKitSpec, LinuxKitSpecFragment, SourceLocation } from "./types";
import type { Position } from "./tree";

/** Where one value came from. Positions are absent for object inputs. */
export interface FieldOrigin {
  file: string;
  /** Start of the value. */
  value?: Position;
  /** Start of the key naming the value (absent for list items). */
  key?: Position;
}

/** One place an image reference is used. */
export interface ImageUse {
  /** e.g. `kernel.image`, `init[0]`, `services[2].image`, `volumes[0].image`. */
  field: string;
  /** Absent for object inputs. */
  location?: SourceLocation;
}

/** Answers "where was this written?" for one parsed (and possibly merged) configuration. */
export class SpecLocations {
  constructor(
    private readonly origins: ReadonlyMap<string, FieldOrigin>,
    private readonly spec: LinuxKitSpec | LinuxKitSpecFragment,
  ) {}

  /** Where the value at `field` starts, or undefined (unknown path, or an object input). */
  locationOf(field: string): SourceLocation | undefined {
    const origin = this.originOf(field);
    return origin?.value === undefined ? undefined : toLocation(origin.file, origin.value);
  }

  /** Where the key of `field` is written (falls back to the value for list items). */
  keyLocationOf(field: string): SourceLocation | undefined {
    const origin = this.originOf(field);
    const pos = origin?.key ?? origin?.value;
    return origin === undefined || pos === undefined ? undefined : toLocation(origin.file, pos);
  }

  /** The input file that wrote `field`, also for object inputs. */
  fileOf(field: string): string | undefined {
    return this.originOf(field)?.file;
  }

  /** The raw record for `field`, or undefined. */
  originOf(field: string): FieldOrigin | undefined {
    return this.origins.get(plainPath(field));
  }

  /**
   * Error details (`file`, `line`, `column`, `field`) for a problem with
   * `field`, ready to spread into a {@link LinuxKitErrorDetails}.
   */
  detailsFor(field: string): Pick<LinuxKitErrorDetails, "file" | "line" | "column" | "field"> {
    const origin = this.originOf(field);
    const pos = origin?.value ?? origin?.key;
    return { file: origin?.file, line: pos?.line, column: pos?.column, field };
  }

  /**
   * Every place `ref` is used as an image, in document order. References
   * match after Docker Hub expansion, so `nginx:alpine` also finds
   * `docker.io/library/nginx:alpine`.
   */
  imageUses(ref: string): ImageUse[] {
    const wanted = expandImageRef(ref);
    return imageFields(this.spec)
      .filter(([, image]) => expandImageRef(image) === wanted)
      .map(([field]) => {
        const location = this.locationOf(field);
        return location === undefined ? { field } : { field, location };
      });
  }

  /** Every recorded path with its origin. */
  entries(): IterableIterator<[string, FieldOrigin]> {
    return this.origins.entries();
  }
}

function toLocation(file: string, pos: Position): SourceLocation {
  return { file, line: pos.line, column: pos.column };
}

/** `[field, image reference]` for every image the configuration names, in build order. */
export function imageFields(spec: LinuxKitSpec | LinuxKitSpecFragment): [string, string][] {
  const out: [string, string][] = [];
  if (spec.kernel?.image !== undefined) out.push(["kernel.image", spec.kernel.image]);
  spec.init.forEach((image, i) => out.push([indexPath("init", i), image]));
  for (const section of ["onboot", "onshutdown", "services"] as const) {
    spec[section].forEach((entry, i) =>
      out.push([fieldPath(indexPath(section, i), "image"), entry.image]),
    );
  }
  spec.volumes.forEach((volume, i) => {
    if (volume.image !== undefined && volume.image !== "") {
      out.push([fieldPath(indexPath("volumes", i), "image"), volume.image]);
    }
  });
  return out;
}

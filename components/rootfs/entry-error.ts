import { LinuxKitError } from "../errors/errors";

/** Which image entry a problem concerns. */
export interface EntryRef {
  name: string;
  image: string;
  /** Where the entry is in the YAML, e.g. `onboot[2]`; prefixes error fields. */
  location?: string;
}

/**
 * A `SPEC_INVALID` error about one field of an image entry (after the
 * label and YAML are merged), naming the container and its image.
 */
export function entryError(
  entry: EntryRef,
  field: string,
  message: string,
  hint?: string,
): LinuxKitError {
  const where = entry.location === undefined ? "" : `${entry.location} `;
  return new LinuxKitError("SPEC_INVALID", `${where}container "${entry.name}": ${message}`, {
    field: entry.location === undefined ? field : `${entry.location}.${field}`,
    image: entry.image,
    ...(hint === undefined ? {} : { hint }),
  });
}

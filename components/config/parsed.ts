/**
 * What parsing returns: the typed configuration beside where each of its
 * values was written.
 */
import type { SpecLocations } from "./locations";
import type { LinuxKitSpec, LinuxKitSpecFragment } from "./types";

/** One validated input file (or object), not yet merged with others. */
export interface ParsedSpecDocument {
  /** The file name as given (`<object>` or a caller's label for objects). */
  file: string;
  /** May leave `kernel.image` to a later file. */
  spec: LinuxKitSpecFragment;
  locations: SpecLocations;
}

/** A complete configuration: every input validated and merged in order. */
export interface ParsedSpec {
  spec: LinuxKitSpec;
  /** The inputs, in merge order. */
  files: string[];
  /** Field paths are those of the merged `spec`. */
  locations: SpecLocations;
}

/**
 * The Image's defaults, in a module of their own so the resource class can
 * use them without loading the configuration parser (a Pulumi program only
 * declares resources; the provider process parses).
 */

/** Default artifact folder, relative to the program folder. */
export const DEFAULT_OUTPUT_DIR = ".linuxkit/images";

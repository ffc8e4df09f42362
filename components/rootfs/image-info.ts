/**
 * What the build reads from an image's own configuration, as an image
 * source reports it (the Docker engine source produces exactly this; the
 * source's `ResolvedImage` is assignable to it).
 */
export interface ImageInfo {
  /** The reference as the YAML wrote it, used in error messages. */
  ref: string;
  /** Content identity (image id or registry digest) when known. */
  digest?: string;
  /** The image's `Entrypoint`; unset or empty when it has none. */
  entrypoint?: string[];
  /** The image's `Cmd`, appended to the entrypoint. */
  cmd?: string[];
  /** The image's `Env`, `NAME=value` strings. */
  env?: string[];
  /** The image's `WorkingDir`; empty means `/`. */
  workingDir?: string;
  /** Image labels; `org.mobyproject.config` holds LinuxKit settings. */
  labels: Record<string, string>;
}

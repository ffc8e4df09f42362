import type { Readable } from "node:stream";

import type { Arch } from "../arch";

/** Everything the build needs to know about one image, read once. */
export interface ResolvedImage {
  /** The reference as the YAML wrote it. */
  ref: string;
  /** Content identity: the image id (`sha256:` of its config), which changes whenever a tag moves. */
  id: string;
  /** A registry digest (`name@sha256:...`) when the engine knows one. */
  repoDigest?: string;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  labels: Record<string, string>;
  architecture?: string;
}

/** Progress of a pull, as reported by the engine. */
export interface PullProgress {
  ref: string;
  status: string;
  detail?: string;
}

export interface ResolveOptions {
  /** Pull even when the image is present. Default false: pull only when missing. */
  pull?: boolean;
  /** Never pull: a missing image is an IMAGE_NOT_FOUND error (used by previews and diffs). */
  offline?: boolean;
  onProgress?: (p: PullProgress) => void;
  /**
   * The architecture the image must be for: a pull asks for that platform,
   * and an image of another architecture is an IMAGE_PLATFORM error naming
   * it. Unset: whatever the source has.
   */
  arch?: Arch;
}

/**
 * Where images come from. The Docker engine is one implementation; a
 * daemonless registry client can be another.
 */
export interface ImageSource {
  /** Makes the image available (pulling when missing) and reads its config. */
  resolve(ref: string, options?: ResolveOptions): Promise<ResolvedImage>;
  /**
   * The image's root filesystem as a tar stream: its layers applied in
   * order by the OCI layer rules (`applyLayers` in layer-apply.ts, which a
   * source without a Docker engine reuses), entries sorted, hard links kept
   * as links, nothing added. The stream errors if reading fails; callers
   * must consume or destroy it.
   */
  exportRootfs(image: ResolvedImage): Promise<Readable>;
}

import type { Readable } from "node:stream";

import type { RegistryAuth } from "./docker-auth";

/** The fields of the Engine API's image inspect (`GET /images/{name}/json`) the build reads. */
export interface ImageInspect {
  Id: string;
  RepoDigests?: string[];
  Architecture?: string;
  Config?: {
    Entrypoint?: string[] | string | null;
    Cmd?: string[] | string | null;
    Env?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
  };
}

/** One line of the engine's pull progress (`POST /images/create`). */
export interface PullEvent {
  id?: string;
  status?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * The three Docker Engine API calls a build makes. Errors keep the shape
 * `docker-errors.ts` reads: a `code` (ENOENT, ECONNREFUSED, ...) when the
 * engine cannot be reached, a `statusCode` and the engine's `json.message`
 * when it answers with a failure.
 */
export interface Engine {
  /** Where the engine is, for messages: `unix:///var/run/docker.sock`, `tcp://host:2375`. */
  readonly endpoint: string;
  /** The image's config, or undefined when the engine does not have it. */
  inspectImage(name: string): Promise<ImageInspect | undefined>;
  /** The image as `docker save` writes it: a tar stream the caller must consume or destroy. */
  exportImage(id: string): Promise<Readable>;
  /**
   * Pulls `fromImage` (a name without tag) at `tag` (a tag or a
   * `sha256:` digest), reporting each progress line; rejects on an error
   * line or when the engine refuses. With `platform` (`linux/arm64`) the
   * engine picks that entry of a multi-platform index (`docker pull
   * --platform`).
   */
  pullImage(
    fromImage: string,
    tag: string,
    auth: RegistryAuth | undefined,
    onEvent?: (event: PullEvent) => void,
    platform?: string,
  ): Promise<void>;
}

import { LinuxKitError } from "../errors/errors";
import { DockerImageSource } from "./docker-image-source";
import { isEngineUnreachable } from "./docker-errors";
import type { Engine } from "./engine";
import { connectEngine } from "./engine-connect";
import type { ImageSource } from "./image-source";
import type { RegistrySourceOptions } from "./registry/registry-image-source";

/** Where a build's images come from: the Docker engine, their registries, or whichever works here. */
export type SourceKind = "docker" | "registry" | "auto";
export const SOURCE_KINDS: readonly SourceKind[] = ["auto", "docker", "registry"];

/** A SPEC-style user error for a source name that is not one of ours. */
export function checkSourceKind(value: unknown, what = "source"): SourceKind {
  if (typeof value === "string" && (SOURCE_KINDS as readonly string[]).includes(value)) {
    return value as SourceKind;
  }
  throw new LinuxKitError(
    "USAGE",
    `${what} ${JSON.stringify(value)} is not one of ${SOURCE_KINDS.join(", ")}`,
    {
      hint: "docker: the Docker engine pulls and holds the images; registry: pulled straight from their registries into an OCI cache, no engine; auto (default): the engine when one answers, else the registries",
    },
  );
}

/** The source chosen and the sentence saying so. */
export interface ChosenSource {
  kind: "docker" | "registry";
  source: ImageSource;
  /** e.g. `Images: from their registries (no Docker engine answers at unix:///var/run/docker.sock)`. */
  said: string;
}

/** True when an engine answers at the address DOCKER_HOST names (an inspect of a name no one has). */
export async function engineAnswers(engine: Engine): Promise<boolean> {
  try {
    await engine.inspectImage("pulumi-linuxkit-probe/none:absent");
    return true;
  } catch (e) {
    if (isEngineUnreachable(e)) return false;
    // It answered, with a failure: an engine is there.
    return true;
  }
}

/**
 * The source for `kind`: `docker` and `registry` as named; `auto` asks the
 * engine DOCKER_HOST names (one round trip) and takes it when it answers,
 * else the registries.
 */
export async function chooseImageSource(
  kind: SourceKind,
  registry: RegistrySourceOptions = {},
): Promise<ChosenSource> {
  const fromRegistry = (why: string): ChosenSource => {
    // Loaded only when used: a build through the engine needs none of it.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { RegistryImageSource } =
      require("./registry/registry-image-source") as typeof import("./registry/registry-image-source");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const source = new RegistryImageSource(registry);
    return {
      kind: "registry",
      source,
      said: `Images: from their registries into ${source.cache.dir}${why}`,
    };
  };
  if (kind === "registry") return fromRegistry("");
  const engine = connectEngine();
  if (kind === "docker") {
    return {
      kind: "docker",
      source: new DockerImageSource(engine),
      said: `Images: from the Docker engine at ${engine.endpoint}`,
    };
  }
  if (await engineAnswers(engine)) {
    return {
      kind: "docker",
      source: new DockerImageSource(engine),
      said: `Images: from the Docker engine at ${engine.endpoint} (auto)`,
    };
  }
  return fromRegistry(` (auto: no Docker engine answers at ${engine.endpoint})`);
}

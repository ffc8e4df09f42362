import type Docker from "dockerode";
import { mkdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";

import { ARCH_TABLE, archOfImage, type Arch } from "../arch";
import { makeTempDir, removeTempDir } from "../temp-dirs";
import { LinuxKitError } from "../errors/errors";
import { registryAuthFor } from "./docker-auth";
import { engineMessage, engineUnreachable, isEngineUnreachable } from "./docker-errors";
import type { Engine, ImageInspect } from "./engine";
import { asEngine, connectEngine } from "./engine-connect";
import { dockerodeEndpoint } from "./engine-dockerode";
import { applyLayers } from "./layer-apply";
import { SavedImage } from "./saved-image";
import type { ImageSource, PullProgress, ResolveOptions, ResolvedImage } from "./image-source";
import { familiarImageRef, formatImageRef, parseImageRef, type ImageRef } from "./image-ref";

function asList(v: string[] | string | null | undefined): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === "string" ? [v] : v;
}

/** Where an engine client connects, for messages: `unix:///var/run/docker.sock`, `tcp://host:2375`. */
export function endpointOf(engine: Engine | Docker): string {
  return "endpoint" in engine ? engine.endpoint : dockerodeEndpoint(engine);
}

/**
 * Images from a Docker engine over its API: inspect, pull when missing
 * (credentials from the Docker config), and read the root filesystem from
 * the image's own layers (the engine's image export, `docker save`),
 * applied in order by the OCI layer rules. No container is created, so
 * nothing of Docker's init layer (`/etc/hosts`, `/etc/resolv.conf`,
 * `/etc/hostname`, `/.dockerenv`, `/dev/*`) reaches the result.
 */
export class DockerImageSource implements ImageSource {
  private readonly engine: Engine;

  /**
   * @param engine the engine client (default: the engine DOCKER_HOST names,
   *   or the local socket; see `connectEngine`). A dockerode client works too.
   * @param scratchDir where image archives and layer spools are unpacked
   *   while a tree is read; removed afterwards (default: the OS temp folder).
   */
  constructor(
    engine?: Engine | Docker,
    private readonly scratchDir: string = os.tmpdir(),
  ) {
    this.engine = engine === undefined ? connectEngine() : asEngine(engine);
  }

  async resolve(ref: string, options: ResolveOptions = {}): Promise<ResolvedImage> {
    const parsed = parseImageRef(ref);
    if (typeof parsed === "string") {
      throw new LinuxKitError("SPEC_INVALID", `invalid image reference "${ref}": ${parsed}`, {
        image: ref,
        hint: "write it as [registry/]name[:tag][@sha256:digest], e.g. linuxkit/init:v1.0",
      });
    }
    const name = familiarImageRef(parsed);
    let info = options.pull ? undefined : await this.inspect(name, ref);
    if (info === undefined && options.offline) {
      throw new LinuxKitError("IMAGE_NOT_FOUND", `image ${ref} is not in the Docker engine`, {
        image: ref,
        hint: "it will be pulled by the build; or load it locally (`docker load`/`docker import`)",
      });
    }
    let pulled = false;
    if (info === undefined) {
      await this.pull(parsed, ref, options.onProgress, options.arch);
      pulled = true;
      info = await this.inspect(name, ref);
      if (info === undefined) {
        throw new LinuxKitError("IMAGE_NOT_FOUND", `image ${ref} is still missing after a pull`, {
          image: ref,
        });
      }
    }
    if (options.arch !== undefined) checkArchitecture(ref, info.Architecture, options.arch, pulled);
    const config = info.Config ?? {};
    return {
      ref,
      id: info.Id,
      repoDigest: info.RepoDigests?.[0],
      entrypoint: asList(config.Entrypoint),
      cmd: asList(config.Cmd),
      env: config.Env ?? undefined,
      workingDir: config.WorkingDir || undefined,
      labels: config.Labels ?? {},
      architecture: info.Architecture,
    };
  }

  async exportRootfs(image: ResolvedImage): Promise<Readable> {
    // Listed for the CLI's signal handler: a Ctrl-C runs no `finally`.
    const work = await makeTempDir(this.scratchDir, "lk-image-");
    const removeWork = (): Promise<void> => removeTempDir(work);
    try {
      let archive: Readable;
      try {
        archive = await this.engine.exportImage(image.id);
      } catch (e) {
        throw this.wrap(e, image.ref, "read the layers of");
      }
      const saved = path.join(work, "archive");
      await mkdir(saved);
      let layers;
      try {
        layers = await (await SavedImage.unpack(archive, saved)).layers(image.id);
      } catch (e) {
        throw this.wrap(e, image.ref, "read the layers of");
      }
      let tree: Readable;
      try {
        tree = await applyLayers(layers, path.join(work, "tree.spool"));
      } catch (e) {
        throw this.wrap(e, image.ref, "apply the layers of");
      }
      await rm(saved, { recursive: true, force: true });
      tree.once("close", () => void removeWork());
      return tree;
    } catch (e) {
      await removeWork();
      throw e;
    }
  }

  private async inspect(name: string, ref: string): Promise<ImageInspect | undefined> {
    try {
      return await this.engine.inspectImage(name);
    } catch (e) {
      throw this.wrap(e, ref, "inspect");
    }
  }

  private async pull(
    parsed: ImageRef,
    ref: string,
    onProgress?: (p: PullProgress) => void,
    arch?: Arch,
  ): Promise<void> {
    const { tag, digest, ...repository } = parsed;
    // the engine takes a digest where a tag goes
    const at = digest ?? tag ?? "latest";
    const auth = await registryAuthFor(parsed.domain);
    try {
      await this.engine.pullImage(
        familiarImageRef(repository),
        at,
        auth,
        (ev) =>
          onProgress?.({
            ref,
            status: `${ev.id ? `${ev.id}: ` : ""}${ev.status ?? ""}`,
            detail: ev.progress,
          }),
        arch === undefined ? undefined : ARCH_TABLE[arch].platform,
      );
    } catch (e) {
      throw this.pullError(e, ref, arch);
    }
  }

  private pullError(e: unknown, ref: string, arch?: Arch): LinuxKitError {
    if (isEngineUnreachable(e)) return engineUnreachable(e, this.engine.endpoint);
    const msg = engineMessage(e);
    if (
      arch !== undefined &&
      /no matching manifest|does not match the specified platform/i.test(msg)
    ) {
      return new LinuxKitError(
        "IMAGE_PLATFORM",
        `image ${ref} has no ${ARCH_TABLE[arch].platform} variant: ${msg}`,
        {
          image: ref,
          hint: `use an image published for ${ARCH_TABLE[arch].platform}, or build for the architecture it has`,
          cause: e,
        },
      );
    }
    const status = (e as { statusCode?: number }).statusCode;
    const parsed = parseImageRef(ref);
    const full = typeof parsed === "string" ? ref : formatImageRef(parsed);
    const domain = typeof parsed === "string" ? "the registry" : parsed.domain;
    if (
      status === 401 ||
      /unauthorized|authentication required|no basic auth credentials/i.test(msg)
    ) {
      return new LinuxKitError(
        "IMAGE_PULL",
        `image ${ref} is not in the Docker engine and ${domain} refused to let ${full} be pulled: ${msg}`,
        {
          image: ref,
          hint:
            `check the credentials for ${domain}: \`docker login ${domain}\` writes them to the Docker ` +
            "config file ($DOCKER_CONFIG/config.json, default ~/.docker/config.json), which the build reads " +
            "(its credHelpers and credsStore helpers too)",
          cause: e,
        },
      );
    }
    const notFound =
      status === 404 ||
      /not found|manifest unknown|pull access denied|does not exist|404/i.test(msg);
    return new LinuxKitError(
      notFound ? "IMAGE_NOT_FOUND" : "IMAGE_PULL",
      `image ${ref} is not in the Docker engine and pulling ${full} failed: ${msg}`,
      {
        image: ref,
        hint: notFound
          ? "check the name and tag, build or `docker load` the image locally, or `docker login` if the repository is private"
          : "check the engine's network access to the registry, or load the image locally (`docker load`/`docker import`)",
        cause: e,
      },
    );
  }

  private wrap(e: unknown, ref: string, action: string): LinuxKitError {
    if (e instanceof LinuxKitError) return e;
    if (isEngineUnreachable(e)) return engineUnreachable(e, this.engine.endpoint);
    return new LinuxKitError(
      "IMAGE_PULL",
      `could not ${action} image ${ref}: ${engineMessage(e)}`,
      {
        image: ref,
        cause: e,
      },
    );
  }
}

/**
 * IMAGE_PLATFORM unless the engine's image is for `arch`. This engine
 * keeps one platform per tag (the classic image store), so an image of
 * another architecture under the tag is not replaced behind the user's
 * back: the hint says how to pull the wanted platform explicitly.
 */
export function checkArchitecture(
  ref: string,
  architecture: string | undefined,
  arch: Arch,
  pulled: boolean,
): void {
  const actual = archOfImage(architecture);
  if (actual === arch) return;
  const platform = ARCH_TABLE[arch].platform;
  throw new LinuxKitError(
    "IMAGE_PLATFORM",
    `image ${ref} is for ${architecture ? `linux/${architecture}` : "an unknown architecture"}, not ${platform}` +
      (pulled ? " (the registry gave no other platform)" : " (as the Docker engine holds it)"),
    {
      image: ref,
      hint: pulled
        ? `use an image published for ${platform}, or build for the architecture it has (--arch ${actual ?? architecture})`
        : `pull the ${platform} variant (\`docker pull --platform ${platform} ${ref}\`, or build with --pull), ` +
          `use a tag that holds ${platform}, or build for ${actual ?? architecture} (--arch)`,
    },
  );
}

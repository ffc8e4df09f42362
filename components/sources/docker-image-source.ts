import Docker from "dockerode";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";

import { LinuxKitError } from "../errors";
import { registryAuthFor } from "./docker-auth";
import { engineMessage, engineUnreachable, isEngineUnreachable } from "./docker-errors";
import { applyLayers } from "./layer-apply";
import { SavedImage } from "./saved-image";
import type { ImageSource, PullProgress, ResolveOptions, ResolvedImage } from "./image-source";
import { familiarImageRef, formatImageRef, parseImageRef } from "./image-ref";

interface InspectInfo {
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

function asList(v: string[] | string | null | undefined): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === "string" ? [v] : v;
}

/** Where dockerode will connect, for messages. */
export function endpointOf(docker: Docker): string {
  const opts =
    (docker.modem as unknown as {
      socketPath?: string | (() => Promise<string>);
      host?: string;
      port?: number;
    }) ?? {};
  if (typeof opts.socketPath === "string") return `unix://${opts.socketPath}`;
  if (typeof opts.socketPath === "function") {
    // docker-modem's default when DOCKER_HOST is unset: the user's
    // Docker Desktop socket if it exists, else the system socket.
    const user = path.join(os.homedir(), ".docker", "run", "docker.sock");
    return `unix://${existsSync(user) ? user : "/var/run/docker.sock"}`;
  }
  return `${opts.host ?? "?"}:${opts.port ?? "?"}`;
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
  private readonly docker: Docker;

  /**
   * @param docker the engine client (default: from DOCKER_HOST or the local socket).
   * @param scratchDir where image archives and layer spools are unpacked
   *   while a tree is read; removed afterwards (default: the OS temp folder).
   */
  constructor(
    docker?: Docker,
    private readonly scratchDir: string = os.tmpdir(),
  ) {
    this.docker = docker ?? new Docker();
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
    if (info === undefined) {
      await this.pull(name, ref, options.onProgress);
      info = await this.inspect(name, ref);
      if (info === undefined) {
        throw new LinuxKitError("IMAGE_NOT_FOUND", `image ${ref} is still missing after a pull`, {
          image: ref,
        });
      }
    }
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
    const work = await mkdtemp(path.join(this.scratchDir, "lk-image-"));
    const removeWork = (): Promise<void> => rm(work, { recursive: true, force: true });
    try {
      let archive: Readable;
      try {
        archive = (await this.docker.getImage(image.id).get()) as Readable;
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

  private async inspect(name: string, ref: string): Promise<InspectInfo | undefined> {
    try {
      return (await this.docker.getImage(name).inspect()) as InspectInfo;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw this.wrap(e, ref, "inspect");
    }
  }

  private async pull(
    name: string,
    ref: string,
    onProgress?: (p: PullProgress) => void,
  ): Promise<void> {
    const parsed = parseImageRef(ref);
    const auth = typeof parsed === "string" ? undefined : await registryAuthFor(parsed.domain);
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await this.docker.pull(
        name,
        auth ? { authconfig: auth } : {},
      )) as NodeJS.ReadableStream;
    } catch (e) {
      throw this.pullError(e, ref);
    }
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null, events: { error?: string; errorDetail?: { message?: string } }[]) => {
          const failed = events?.find(
            (ev) => ev.error !== undefined || ev.errorDetail !== undefined,
          );
          if (err) reject(this.pullError(err, ref));
          else if (failed)
            reject(this.pullError(new Error(failed.error ?? failed.errorDetail?.message), ref));
          else resolve();
        },
        (ev: { status?: string; progress?: string; id?: string }) =>
          onProgress?.({
            ref,
            status: `${ev.id ? `${ev.id}: ` : ""}${ev.status ?? ""}`,
            detail: ev.progress,
          }),
      );
    });
  }

  private pullError(e: unknown, ref: string): LinuxKitError {
    if (isEngineUnreachable(e)) return engineUnreachable(e, endpointOf(this.docker));
    const msg = engineMessage(e);
    const parsed = parseImageRef(ref);
    const full = typeof parsed === "string" ? ref : formatImageRef(parsed);
    const domain = typeof parsed === "string" ? "the registry" : parsed.domain;
    if (/unauthorized|authentication required|no basic auth credentials/i.test(msg)) {
      return new LinuxKitError(
        "IMAGE_PULL",
        `image ${ref} is not in the Docker engine and ${domain} refused to let ${full} be pulled: ${msg}`,
        {
          image: ref,
          hint:
            `check the credentials for ${domain}: \`docker login ${domain}\` writes them to the Docker ` +
            "config file ($DOCKER_CONFIG/config.json, default ~/.docker/config.json), which the build reads " +
            "(credential helpers are not consulted)",
          cause: e,
        },
      );
    }
    const notFound = /not found|manifest unknown|pull access denied|does not exist|404/i.test(msg);
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
    if (isEngineUnreachable(e)) return engineUnreachable(e, endpointOf(this.docker));
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

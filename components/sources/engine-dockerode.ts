import type Docker from "dockerode";
import type { Readable } from "node:stream";

import type { RegistryAuth } from "./docker-auth";
import type { Engine, ImageInspect, PullEvent } from "./engine";
import { defaultUnixSocket } from "./engine-host";
import { followPull } from "./pull-stream";

/**
 * The engine through dockerode: for engines behind TLS, ssh or a Windows
 * named pipe, or a client the caller made. Only types are imported here;
 * whoever makes the Docker instance loads dockerode.
 */
export class DockerodeEngine implements Engine {
  constructor(readonly docker: Docker) {}

  get endpoint(): string {
    return dockerodeEndpoint(this.docker);
  }

  async inspectImage(name: string): Promise<ImageInspect | undefined> {
    try {
      return (await this.docker.getImage(name).inspect()) as ImageInspect;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw e;
    }
  }

  async exportImage(id: string): Promise<Readable> {
    return (await this.docker.getImage(id).get()) as Readable;
  }

  async pullImage(
    fromImage: string,
    tag: string,
    auth: RegistryAuth | undefined,
    onEvent?: (event: PullEvent) => void,
    platform?: string,
  ): Promise<void> {
    const query = { fromImage, tag, ...(platform ? { platform } : {}) };
    const stream = auth
      ? await this.docker.createImage(auth, query)
      : await this.docker.createImage(query);
    await followPull(stream as Readable, onEvent);
  }
}

/** Where a dockerode client connects, for messages, in DOCKER_HOST's form. */
export function dockerodeEndpoint(docker: Docker): string {
  const modem =
    (docker.modem as unknown as {
      socketPath?: string | (() => Promise<string>);
      host?: string;
      port?: number | string;
      protocol?: string;
      username?: string;
    }) ?? {};
  if (typeof modem.socketPath === "string") {
    return /^(\/\/|\\\\)\.[/\\]pipe[/\\]/.test(modem.socketPath)
      ? `npipe://${modem.socketPath}`
      : `unix://${modem.socketPath}`;
  }
  // docker-modem's default when DOCKER_HOST is unset is a resolver function
  if (typeof modem.socketPath === "function") return `unix://${defaultUnixSocket()}`;
  const host = modem.host ?? "?";
  if (modem.protocol === "ssh") {
    const user = modem.username ? `${modem.username}@` : "";
    return `ssh://${user}${host}${modem.port ? `:${modem.port}` : ""}`;
  }
  const tls = modem.protocol === "https";
  // without a port, docker-modem connects to the scheme's default one
  const hostPort = `${host}:${modem.port || (tls ? 443 : 80)}`;
  return tls ? `tcp://${hostPort} (TLS)` : `tcp://${hostPort}`;
}

import http from "node:http";
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";

import { registryAuthHeader, type RegistryAuth } from "./docker-auth";
import { EngineReplyError } from "./docker-errors";
import type { Engine, ImageInspect, PullEvent } from "./engine";
import type { EngineAddress } from "./engine-host";
import { followPull } from "./pull-stream";

/** A local socket or a plain (no TLS) TCP engine. */
export type HttpEngineAddress = Exclude<EngineAddress, { kind: "dockerode" }>;

/**
 * The Docker Engine API over node:http, for the three calls a build makes
 * (image inspect, image export, pull). Paths carry no API version, as
 * dockerode's do by default: the engine answers with its own current
 * version, and the fields read here are the same in every version since
 * 1.24, so no version needs pinning (a pinned one would be too new for an
 * old engine or below a new engine's minimum). Docker documents
 * unversioned calls as deprecated; should an engine drop them, asking
 * `GET /_ping` for its `Api-Version` header first is the fix. Connection
 * errors are node's own (with their `code`); an answer outside 2xx is an
 * EngineReplyError with the engine's message.
 */
export class EngineApiClient implements Engine {
  readonly endpoint: string;

  constructor(private readonly address: HttpEngineAddress) {
    this.endpoint =
      address.kind === "unix"
        ? `unix://${address.socketPath}`
        : `tcp://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
  }

  async inspectImage(name: string): Promise<ImageInspect | undefined> {
    const where = `/images/${apiName(name)}/json`;
    const res = await this.send("GET", where);
    if (res.statusCode === 404) {
      res.resume();
      return undefined;
    }
    await this.expectSuccess(res, "GET", where);
    const body = await readText(res);
    try {
      return JSON.parse(body) as ImageInspect;
    } catch {
      throw new EngineReplyError(
        `${this.endpoint} answered GET ${where} with something that is not JSON: ${body.slice(0, 200)}`,
        res.statusCode,
      );
    }
  }

  async exportImage(id: string): Promise<Readable> {
    const where = `/images/${apiName(id)}/get`;
    const res = await this.send("GET", where);
    await this.expectSuccess(res, "GET", where);
    return res;
  }

  async pullImage(
    fromImage: string,
    tag: string,
    auth: RegistryAuth | undefined,
    onEvent?: (event: PullEvent) => void,
    platform?: string,
  ): Promise<void> {
    const query = new URLSearchParams({ fromImage, tag, ...(platform ? { platform } : {}) });
    const where = `/images/create?${query.toString()}`;
    const headers: Record<string, string> = auth
      ? { "X-Registry-Auth": registryAuthHeader(auth) }
      : {};
    const res = await this.send("POST", where, headers);
    await this.expectSuccess(res, "POST", where);
    await followPull(res, onEvent);
  }

  private send(
    method: string,
    where: string,
    headers: Record<string, string> = {},
  ): Promise<IncomingMessage> {
    const target =
      this.address.kind === "unix"
        ? { socketPath: this.address.socketPath }
        : { host: this.address.host, port: this.address.port };
    return new Promise((resolve, reject) => {
      const req = http.request({ ...target, method, path: where, headers }, resolve);
      req.on("error", reject);
      req.end();
    });
  }

  /** Throws the engine's own message when `res` is not a 2xx answer. */
  private async expectSuccess(res: IncomingMessage, method: string, where: string): Promise<void> {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return;
    const body = (await readText(res, 64 * 1024)).trim();
    let message: string | undefined;
    try {
      message = (JSON.parse(body) as { message?: unknown }).message as string | undefined;
    } catch {
      // not the engine's JSON: quote the start of what came back
    }
    throw new EngineReplyError(
      typeof message === "string" && message !== ""
        ? message
        : `${this.endpoint} answered ${method} ${where.replace(/\?.*/, "")} with HTTP ${status}` +
            (body === "" ? "" : `: ${body.slice(0, 200)}`),
      status,
    );
  }
}

/** An image name or id as an API path segment ("/" and ":" stay, as the engine's router expects). */
function apiName(name: string): string {
  return name.replace(/[^\w.\-/:@]/g, (c) => encodeURIComponent(c));
}

/** The body as text, at most `limit` bytes of it. */
async function readText(res: IncomingMessage, limit = Infinity): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (size < limit) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString("utf8");
}

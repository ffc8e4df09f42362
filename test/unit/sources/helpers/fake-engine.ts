/**
 * A stand-in Docker engine on a unix socket in a temp folder, answering
 * the three Engine API calls a build makes with the shapes the Engine API
 * reference documents: image inspect (200 JSON, 404 `{"message": ...}`),
 * image export (200 `application/x-tar`, streamed in chunks), and
 * `POST /images/create` (200 with one JSON progress object a line, or an
 * error status with `{"message": ...}`). It records every request.
 */
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";

import { tarBuffer } from "../../../helpers/tar-kit";

/** An image the fake engine has: its inspect JSON and its `docker save` archive. */
export interface FakeImage {
  inspect: { Id: string } & Record<string, unknown>;
  archive: Buffer;
}

/** How the engine answers a pull of one `fromImage`. */
export interface FakePull {
  /** HTTP status (default 200). */
  status?: number;
  /** The body for a non-200 status (the engine sends `{"message": ...}`). */
  body?: string;
  /** Progress objects, one JSON line each, for a 200. */
  lines?: object[];
  /** The image the engine has afterwards, under `fromImage:tag`. */
  gives?: FakeImage;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export class FakeEngine {
  readonly images = new Map<string, FakeImage>();
  readonly pulls = new Map<string, FakePull>();
  readonly requests: RecordedRequest[] = [];

  private constructor(
    private readonly server: http.Server,
    private readonly dir: string,
    /** `unix:///tmp/lk-fake-engine-.../docker.sock`, or `tcp://127.0.0.1:PORT` with `tcp`. */
    readonly dockerHost: string,
  ) {}

  /** Listens on a unix socket in a temp folder, or with `tcp` on a free 127.0.0.1 port. */
  static async start(options: { tcp?: boolean } = {}): Promise<FakeEngine> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lk-fake-engine-"));
    const socketPath = path.join(dir, "docker.sock");
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      if (options.tcp) server.listen(0, "127.0.0.1", resolve);
      else server.listen(socketPath, resolve);
    });
    const address = server.address();
    const host =
      typeof address === "object" && address !== null
        ? `tcp://127.0.0.1:${address.port}`
        : `unix://${socketPath}`;
    const engine = new FakeEngine(server, dir, host);
    server.on("request", (req, res) => void engine.answer(req, res));
    return engine;
  }

  /** Registers `image` under each of `names` (and its id). */
  add(image: FakeImage, ...names: string[]): void {
    for (const n of [image.inspect.Id, ...names]) this.images.set(n, image);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    const url = new URL(req.url ?? "/", "http://engine");
    const inspect = /^\/images\/(.+)\/json$/.exec(url.pathname);
    const get = /^\/images\/(.+)\/get$/.exec(url.pathname);
    if (req.method === "GET" && inspect) {
      const image = this.images.get(decodeURIComponent(inspect[1]!));
      if (image === undefined) {
        return json(res, 404, { message: `No such image: ${decodeURIComponent(inspect[1]!)}` });
      }
      return json(res, 200, image.inspect);
    }
    if (req.method === "GET" && get) {
      const image = this.images.get(decodeURIComponent(get[1]!));
      if (image === undefined) return json(res, 404, { message: "reference does not exist" });
      res.writeHead(200, { "Content-Type": "application/x-tar" });
      // several chunks, as a real export arrives
      for (let at = 0; at < image.archive.length; at += 4096) {
        res.write(image.archive.subarray(at, at + 4096));
        await new Promise((r) => setImmediate(r));
      }
      return void res.end();
    }
    if (req.method === "POST" && url.pathname === "/images/create") {
      const from = url.searchParams.get("fromImage") ?? "";
      const pull = this.pulls.get(from);
      if (pull === undefined) {
        return json(res, 404, {
          message: `pull access denied for ${from}, repository does not exist or may require 'docker login'`,
        });
      }
      if ((pull.status ?? 200) !== 200) {
        res.writeHead(pull.status!, { "Content-Type": "application/json" });
        return void res.end(pull.body ?? "");
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      const text = (pull.lines ?? []).map((l) => `${JSON.stringify(l)}\r\n`).join("");
      // cut the progress at odd places: a line may arrive in pieces
      for (let at = 0; at < text.length; at += 7) {
        res.write(text.slice(at, at + 7));
        await new Promise((r) => setImmediate(r));
      }
      if (pull.gives) this.add(pull.gives, `${from}:${url.searchParams.get("tag")}`);
      return void res.end();
    }
    json(res, 404, { message: "page not found" });
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(`${JSON.stringify(body)}\n`);
}

/**
 * An image as the engine would hold it: inspect JSON in the Engine API's
 * shape and a `docker save` archive (legacy layout) of one layer with `files`.
 */
export async function fakeImage(
  id: string,
  files: Record<string, string>,
  config: Record<string, unknown> = {},
): Promise<FakeImage> {
  const hex = id.replace(/^sha256:/, "");
  const layer = await tarBuffer(Object.entries(files).map(([name, data]) => ({ name, data })));
  const archive = await tarBuffer([
    { name: "l1/", type: "directory" },
    { name: "l1/layer.tar", data: layer },
    { name: `${hex}.json`, data: "{}" },
    {
      name: "manifest.json",
      data: JSON.stringify([{ Config: `${hex}.json`, RepoTags: null, Layers: ["l1/layer.tar"] }]),
    },
  ]);
  return {
    inspect: {
      Id: id,
      RepoTags: [],
      RepoDigests: [],
      Architecture: "amd64",
      Os: "linux",
      Config: { Cmd: ["/bin/sh"], Env: null, WorkingDir: "", Labels: null, ...config },
    },
    archive,
  };
}

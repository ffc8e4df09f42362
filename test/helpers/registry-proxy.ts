/**
 * A loopback HTTP proxy in front of a test registry that can misbehave on
 * purpose: answer 429/503 (with Retry-After) a number of times, flip a
 * byte of a blob it forwards, or trickle a blob slowly. Everything else is
 * forwarded as is. It records the requests it saw.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

interface Failure {
  match: RegExp;
  status: number;
  retryAfter?: string;
  remaining: number;
}

export class RegistryProxy {
  readonly requests: { method: string; path: string; status: number }[] = [];
  private readonly failures: Failure[] = [];
  private readonly tampered = new Set<string>();
  private slowMatch: RegExp | undefined;

  private constructor(
    private readonly server: http.Server,
    readonly host: string,
  ) {}

  static async start(upstream: string): Promise<RegistryProxy> {
    const holder: { proxy?: RegistryProxy } = {};
    const server = http.createServer((req, res) => holder.proxy!.handle(upstream, req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    holder.proxy = new RegistryProxy(server, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    return holder.proxy;
  }

  /** The next `times` requests whose path matches answer `status`. */
  fail(match: RegExp, status: number, times: number, retryAfter?: string): void {
    this.failures.push({ match, status, retryAfter, remaining: times });
  }

  /** Blob GETs of `digest` get one byte changed. */
  tamper(digest: string): void {
    this.tampered.add(digest);
  }

  untamper(): void {
    this.tampered.clear();
  }

  /** Blob GETs whose path matches are sent 16 KiB every 100 ms. */
  slow(match: RegExp | undefined): void {
    this.slowMatch = match;
  }

  private handle(upstream: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    const p = req.url ?? "/";
    const failure = this.failures.find((f) => f.remaining > 0 && f.match.test(p));
    if (failure) {
      failure.remaining--;
      this.requests.push({ method: req.method ?? "", path: p, status: failure.status });
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (failure.retryAfter !== undefined) headers["retry-after"] = failure.retryAfter;
      res.writeHead(failure.status, headers);
      res.end(
        JSON.stringify({
          errors: [{ code: "TOOMANYREQUESTS", message: "slow down (test proxy)" }],
        }),
      );
      req.resume();
      return;
    }
    const forward = http.request(
      {
        host: upstream.split(":")[0],
        port: Number(upstream.split(":")[1]),
        path: p,
        method: req.method,
        headers: { ...req.headers, host: upstream },
      },
      (up) => {
        this.requests.push({ method: req.method ?? "", path: p, status: up.statusCode ?? 0 });
        const headers = { ...up.headers };
        if (typeof headers.location === "string")
          headers.location = headers.location.replace(upstream, this.host);
        const digest = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(p)?.[1];
        if (req.method === "GET" && digest !== undefined && this.tampered.has(digest)) {
          const chunks: Buffer[] = [];
          up.on("data", (c: Buffer) => chunks.push(c));
          up.on("end", () => {
            const body = Buffer.concat(chunks);
            if (body.length > 0) body[body.length >> 1] = (body[body.length >> 1] ?? 0) ^ 0xff;
            res.writeHead(up.statusCode ?? 500, headers);
            res.end(body);
          });
          return;
        }
        res.writeHead(up.statusCode ?? 500, headers);
        if (req.method === "GET" && digest !== undefined && this.slowMatch?.test(p)) {
          up.pause();
          const tick = setInterval(() => {
            const chunk = up.read(16 << 10) as Buffer | null;
            if (chunk) res.write(chunk);
            else if (up.readableEnded || (up.complete && up.readableLength === 0)) {
              clearInterval(tick);
              res.end();
            }
          }, 100);
          res.on("close", () => clearInterval(tick));
          return;
        }
        up.pipe(res);
      },
    );
    forward.on("error", (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(forward);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

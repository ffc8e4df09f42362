/**
 * HTTP(S) requests to one Redfish service. TLS certificates are verified
 * unless `insecureTls` is set (BMCs often ship self-signed ones: prefer
 * `caCertificate`). Redirects are followed only within the same origin,
 * so credentials never travel to another host. Bodies are JSON.
 */
import http from "node:http";
import https from "node:https";

import { bmcSays, extendedInfo, RedfishError } from "./redfish-error";

export interface RedfishTransportOptions {
  /** `https://bmc.example` (a trailing `/redfish/v1` is accepted and dropped). */
  endpoint: string;
  /** Skip TLS certificate verification. Default false. */
  insecureTls?: boolean;
  /** PEM of the CA (or self-signed certificate) the BMC's certificate chains to. */
  caCertificate?: string;
  /** Longest a single request may take, in ms. Default 60 000. */
  requestTimeoutMs?: number;
}

export interface RedfishResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  body: unknown;
  text: string;
}

/** The origin of an endpoint (`https://host:port`), or an error saying what is wrong with it. */
export function endpointOrigin(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new RedfishError(`Redfish endpoint ${JSON.stringify(endpoint)} is not a URL`, {
      hint: "give the BMC's address as https://<host>[:port]",
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new RedfishError(`Redfish endpoint ${endpoint} must be http(s), not ${url.protocol}`, {
      hint: "give the BMC's address as https://<host>[:port]",
    });
  }
  if (url.username !== "" || url.password !== "") {
    throw new RedfishError(
      `Redfish endpoint ${url.protocol}//${url.host} must not carry a user or password`,
      { hint: "give them as username and password (a secret) instead" },
    );
  }
  return new URL(url.origin);
}

const MAX_REDIRECTS = 3;

export class RedfishTransport {
  readonly origin: URL;
  private readonly agent: http.Agent;

  constructor(private readonly options: RedfishTransportOptions) {
    this.origin = endpointOrigin(options.endpoint);
    this.agent =
      this.origin.protocol === "https:"
        ? new https.Agent({
            keepAlive: true,
            rejectUnauthorized: options.insecureTls !== true,
            ...(options.caCertificate === undefined ? {} : { ca: options.caCertificate }),
          })
        : new http.Agent({ keepAlive: true });
  }

  /** `https://bmc.example`, for messages. */
  get endpoint(): string {
    return this.origin.origin;
  }

  /** An absolute URL of this service for a path or a same-origin URL; other origins are refused. */
  resolve(pathOrUrl: string): URL {
    const url = new URL(pathOrUrl, this.origin);
    if (url.origin !== this.origin.origin) {
      throw new RedfishError(
        `Redfish service ${this.endpoint} pointed to ${url.origin}, another origin: refused (credentials are only sent to ${this.endpoint})`,
      );
    }
    return url;
  }

  /** One request; any status is returned (callers decide what is an error). */
  async request(
    method: string,
    pathOrUrl: string,
    opts: { headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<RedfishResponse> {
    let url = this.resolve(pathOrUrl);
    for (let hop = 0; ; hop++) {
      const res = await this.once(method, url, opts);
      const location = res.headers.location;
      if (
        ![301, 302, 307, 308].includes(res.status) ||
        location === undefined ||
        hop >= MAX_REDIRECTS
      ) {
        return res;
      }
      url = this.resolve(new URL(location, url).toString());
    }
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private once(
    method: string,
    url: URL,
    opts: { headers?: Record<string, string>; body?: unknown },
  ): Promise<RedfishResponse> {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const lib = url.protocol === "https:" ? https : http;
    const timeout = this.options.requestTimeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const req = lib.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            Accept: "application/json",
            "OData-Version": "4.0",
            ...(payload === undefined
              ? {}
              : { "Content-Type": "application/json", "Content-Length": String(payload.length) }),
            ...opts.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: unknown;
            try {
              body = text === "" ? undefined : JSON.parse(text);
            } catch {
              body = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
          });
        },
      );
      req.setTimeout(timeout, () =>
        req.destroy(new Error(`no answer within ${Math.round(timeout / 1000)} s`)),
      );
      req.on("error", (e: NodeJS.ErrnoException) => {
        const tls = /certificate|self[- ]signed|CERT_|SSL/i.test(`${e.code ?? ""} ${e.message}`);
        reject(
          new RedfishError(`Redfish ${method} ${url.href} failed: ${e.message}`, {
            cause: e,
            hint: tls
              ? "the BMC's TLS certificate is not trusted: give its CA as caCertificate, or set insecureTls: true to skip verification (not recommended)"
              : `check that ${this.endpoint} is the BMC's address and reachable from here`,
          }),
        );
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}

/** An error for a response with a status that is not a success. */
export function responseError(
  endpoint: string,
  method: string,
  url: string,
  res: RedfishResponse,
  doing?: string,
): RedfishError {
  const what = doing === undefined ? "" : `${doing}: `;
  const error = (res.body as { error?: unknown } | undefined)?.error;
  return new RedfishError(
    `${what}Redfish service ${endpoint} answered ${method} ${url} with ${res.status}${http.STATUS_CODES[res.status] ? ` ${http.STATUS_CODES[res.status]}` : ""}: ${bmcSays(res.body, res.text)}`,
    { status: res.status, messages: extendedInfo(error ?? res.body) },
  );
}

import { Readable } from "node:stream";

import type { RegistryAuth } from "../docker-auth";
import { registryAuthFor } from "../docker-auth";
import {
  endpointsFor,
  registrySettingsFromEnvironment,
  type Endpoint,
  type RegistrySettings,
} from "./registry-endpoints";
import { networkCause, RegistryError, registryWords } from "./registry-errors";
import { parseChallenges, type Challenge } from "./www-authenticate";

export interface RegistryClientOptions {
  settings?: RegistrySettings;
  /** Credentials for a registry (default: the Docker config, helpers included). */
  credentials?: (domain: string) => Promise<RegistryAuth | undefined>;
  /** Tries after the first for 429, 5xx and dropped connections. Default 4. */
  retries?: number;
  /** First backoff, doubled each retry (with jitter), when the registry names no Retry-After. Default 500 ms. */
  backoffMs?: number;
  /** The longest wait a Retry-After may impose. Default 60 s. */
  maxWaitMs?: number;
}

export interface RegistryRequest {
  method?: "GET" | "HEAD" | "PUT" | "POST" | "PATCH";
  headers?: Record<string, string>;
  /** A body, or a function opening it afresh for each try (a file's bytes). */
  body?: Buffer | (() => Readable);
  /** Ask for push rights too (token scope `pull,push`). */
  push?: boolean;
}

/** A repository on a registry: `docker.io` + `library/alpine`. */
export interface Repository {
  domain: string;
  path: string;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
/** Connection failures worth another try; a refused connection or an unknown host is not. */
const RETRY_CODES = new Set(["ECONNRESET", "ETIMEDOUT", "EPIPE", "UND_ERR_SOCKET"]);

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), if any. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The distribution API (`/v2/...`) over Node's fetch: endpoints (mirrors,
 * HTTPS, plain HTTP only for loopback and listed insecure registries),
 * authentication as a registry asks for it in its `WWW-Authenticate`
 * challenge (a Bearer token from its token service, with or without
 * credentials, or Basic), and retries with backoff for 429 and 5xx that
 * honour `Retry-After`. Tokens are kept per endpoint and scope for the
 * client's life; credentials and tokens never appear in errors.
 */
export class RegistryClient {
  readonly settings: RegistrySettings;
  private readonly credentials: (domain: string) => Promise<RegistryAuth | undefined>;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxWaitMs: number;
  /** `base scope` → Authorization header value. */
  private readonly authorization = new Map<string, string>();
  private readonly credentialCache = new Map<string, Promise<RegistryAuth | undefined>>();

  constructor(options: RegistryClientOptions = {}) {
    this.settings = options.settings ?? registrySettingsFromEnvironment();
    this.credentials = options.credentials ?? registryAuthFor;
    this.retries = options.retries ?? 4;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
  }

  /**
   * Sends `request` to `/v2/<repository>/<suffix>` and returns the 2xx
   * response (its body unread). Throws a RegistryError otherwise: `denied`
   * for 401/403 after authenticating, `not-found` for 404, `unreachable`
   * when no endpoint answers, `failed` for the rest. Docker Hub's mirrors
   * are tried first; any failure there falls through to the next.
   */
  async send(repo: Repository, suffix: string, request: RegistryRequest = {}): Promise<Response> {
    const endpoints = endpointsFor(repo.domain, this.settings);
    let lastError: unknown;
    for (const endpoint of endpoints) {
      try {
        return await this.sendTo(endpoint, repo, suffix, request);
      } catch (e) {
        lastError = e;
        if (!endpoint.mirror) throw e;
      }
    }
    throw lastError;
  }

  private scopeOf(repo: Repository, request: RegistryRequest): string {
    return `repository:${repo.path}:${request.push ? "pull,push" : "pull"}`;
  }

  private async sendTo(
    endpoint: Endpoint,
    repo: Repository,
    suffix: string,
    request: RegistryRequest,
  ): Promise<Response> {
    // An absolute URL is a registry's own Location (a blob upload under way).
    const url = /^https?:\/\//.test(suffix) ? suffix : `${endpoint.base}/v2/${repo.path}/${suffix}`;
    const scope = this.scopeOf(repo, request);
    const key = `${endpoint.base} ${scope}`;
    let authenticated = false;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...request.headers };
      const auth = this.authorization.get(key);
      if (auth !== undefined) headers.authorization = auth;
      let res: Response;
      try {
        const body =
          typeof request.body === "function"
            ? (Readable.toWeb(request.body()) as ReadableStream<Uint8Array>)
            : request.body;
        res = await fetch(url, {
          method: request.method ?? "GET",
          headers,
          body,
          redirect: "follow",
          ...(typeof request.body === "function" ? { duplex: "half" } : {}),
        } as RequestInit);
      } catch (e) {
        const code = networkCause(e);
        if (RETRY_CODES.has(code) && attempt < this.retries) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw new RegistryError(
          "unreachable",
          endpoint.domain,
          `cannot reach ${endpoint.domain} at ${endpoint.base}: ${code}`,
          undefined,
          { cause: e },
        );
      }
      if (res.ok) return res;
      if (res.status === 401 && !authenticated) {
        const header = res.headers.get("www-authenticate") ?? "";
        await res.body?.cancel();
        await this.authenticate(endpoint, scope, key, parseChallenges(header));
        authenticated = true;
        attempt--; // authenticating is not a retry
        continue;
      }
      if (RETRY_STATUS.has(res.status) && attempt < this.retries) {
        const wait = retryAfterMs(res.headers.get("retry-after")) ?? this.backoff(attempt);
        await res.body?.cancel();
        await sleep(Math.min(wait, this.maxWaitMs));
        continue;
      }
      const body = request.method === "HEAD" ? "" : await res.text().catch(() => "");
      const words = registryWords(body, res.statusText);
      const what = `${request.method ?? "GET"} ${url}`;
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError(
          "denied",
          endpoint.domain,
          `${endpoint.domain} refused ${what}: ${res.status} ${words}`,
          res.status,
        );
      }
      if (res.status === 404) {
        throw new RegistryError(
          "not-found",
          endpoint.domain,
          `${endpoint.domain} has no ${what.replace(/^\w+ /, "")}: ${words}`,
          404,
        );
      }
      throw new RegistryError(
        "failed",
        endpoint.domain,
        `${what} failed: ${res.status} ${words}${attempt > 0 ? ` (after ${attempt + 1} tries)` : ""}`,
        res.status,
      );
    }
  }

  private backoff(attempt: number): number {
    return this.backoffMs * 2 ** attempt * (0.75 + Math.random() / 2);
  }

  private credentialsFor(domain: string): Promise<RegistryAuth | undefined> {
    let found = this.credentialCache.get(domain);
    if (found === undefined) {
      found = this.credentials(domain);
      this.credentialCache.set(domain, found);
    }
    return found;
  }

  /** Answers a 401's challenge: fetches a Bearer token or sets Basic credentials for `key`. */
  private async authenticate(
    endpoint: Endpoint,
    scope: string,
    key: string,
    challenges: Challenge[],
  ): Promise<void> {
    const creds = endpoint.mirror ? undefined : await this.credentialsFor(endpoint.domain);
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (bearer?.params.realm) {
      const token = await this.fetchToken(endpoint, bearer, scope, creds);
      this.authorization.set(key, `Bearer ${token}`);
      return;
    }
    if (challenges.some((c) => c.scheme === "basic") && creds?.username && creds.password) {
      const basic = Buffer.from(`${creds.username}:${creds.password}`).toString("base64");
      this.authorization.set(key, `Basic ${basic}`);
      return;
    }
    // no way to answer: the retry without credentials gets the registry's refusal
  }

  /** A token from the registry's token service (the distribution token spec, or OAuth2 for identity tokens). */
  private async fetchToken(
    endpoint: Endpoint,
    challenge: Challenge,
    scope: string,
    creds: RegistryAuth | undefined,
  ): Promise<string> {
    const realm = challenge.params.realm!;
    const service = challenge.params.service;
    const wanted = challenge.params.scope ?? scope;
    let res: Response;
    try {
      if (creds?.identitytoken) {
        const form = new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: creds.identitytoken,
          client_id: "pulumi-linuxkit",
          scope: wanted,
        });
        if (service) form.set("service", service);
        res = await fetch(realm, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: form.toString(),
        });
      } else {
        const url = new URL(realm);
        if (service) url.searchParams.set("service", service);
        url.searchParams.set("scope", wanted);
        const headers: Record<string, string> = {};
        if (creds?.username && creds.password) {
          headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
        }
        res = await fetch(url, { headers });
      }
    } catch (e) {
      throw new RegistryError(
        "unreachable",
        endpoint.domain,
        `cannot reach the token service of ${endpoint.domain} at ${realm}: ${networkCause(e)}`,
        undefined,
        { cause: e },
      );
    }
    const text = await res.text().catch(() => "");
    if (!res.ok) {
      throw new RegistryError(
        res.status === 401 || res.status === 403 ? "denied" : "failed",
        endpoint.domain,
        `the token service of ${endpoint.domain} (${realm}) refused ${creds ? "the credentials" : "an anonymous token"} for ${wanted}: ${res.status} ${registryWords(text, res.statusText)}`,
        res.status,
      );
    }
    let doc: { token?: string; access_token?: string };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      doc = {};
    }
    const token = doc.token ?? doc.access_token;
    if (!token) {
      throw new RegistryError(
        "failed",
        endpoint.domain,
        `the token service of ${endpoint.domain} (${realm}) answered without a token`,
      );
    }
    return token;
  }
}

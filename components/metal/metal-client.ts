/**
 * A small client for the Metal API v1 (Packet / Equinix Metal and
 * Metal-API-compatible services) over the global `fetch`: the device calls
 * `linuxkit run equinixmetal` makes, with retries and errors a user can act
 * on. The token travels only in the `X-Auth-Token` header and is scrubbed
 * from anything the client throws.
 */
import { progress } from "../progress";
import { MetalApiError, MetalWaitError } from "./metal-errors";
import type {
  MetalClientOptions,
  MetalCreateDeviceRequest,
  MetalDevice,
  MetalUpdateDeviceRequest,
} from "./metal-types";

export { MetalApiError, MetalWaitError, type MetalWaitFailure } from "./metal-errors";
export {
  publicIpv4,
  type MetalClientOptions,
  type MetalCreateDeviceRequest,
  type MetalDevice,
  type MetalIpAddress,
  type MetalUpdateDeviceRequest,
} from "./metal-types";

/** Equinix Metal's API root (the service ended on 2026-06-30; set `apiUrl` for other services). */
export const DEFAULT_METAL_API_URL = "https://api.equinix.com/metal/v1";

/** Longest wait honoured from a `Retry-After` header, in ms. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `Retry-After` in ms (delta-seconds or an HTTP date), or undefined. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(Math.max(0, seconds * 1000), MAX_RETRY_AFTER_MS);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}

/** The `errors` (or `error`) strings of an API error body. */
function apiErrorsOf(body: string): string[] {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown; error?: unknown };
    if (Array.isArray(parsed.errors)) return parsed.errors.map(String);
    if (typeof parsed.error === "string") return [parsed.error];
  } catch {
    /* not JSON */
  }
  const text = body.trim();
  return text === "" ? [] : [text.slice(0, 500)];
}

interface Call {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  body?: unknown;
  /** Statuses that are an answer, not an error (e.g. 404 on GET). */
  accept?: number[];
  /**
   * Attempts for this call (default: the client's). A create is sent once
   * per attempt of {@link MetalClient.createDevice}, which looks for the
   * device before sending it again.
   */
  attempts?: number;
}

/** The tag prefix that marks a device with the create request that made it. */
export const CREATE_TAG_PREFIX = "linuxkit-create:";

export class MetalClient {
  readonly apiUrl: string;
  readonly #token: string;
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #requestTimeoutMs: number;

  constructor(opts: MetalClientOptions) {
    this.apiUrl = (opts.apiUrl ?? DEFAULT_METAL_API_URL).replace(/\/+$/, "");
    checkApiUrl(this.apiUrl);
    this.#token = opts.authToken;
    this.#attempts = Math.max(1, opts.retry?.attempts ?? 5);
    this.#baseDelayMs = Math.max(0, opts.retry?.baseDelayMs ?? 1000);
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
  }

  /**
   * `POST /projects/{projectId}/devices`, at most once per device. With
   * `createTag` (a unique tag, see {@link CREATE_TAG_PREFIX}) the device is
   * tagged with it, and when an attempt's answer is lost (connection reset,
   * timeout, 5xx: the API may have created the device anyway) the project
   * is searched for that tag before the POST is sent again, so a retry
   * never makes a second machine.
   */
  async createDevice(
    projectId: string,
    req: MetalCreateDeviceRequest,
    opts: { createTag?: string } = {},
  ): Promise<MetalDevice> {
    const path = `/projects/${encodeURIComponent(projectId)}/devices`;
    const tag = opts.createTag;
    if (tag === undefined) {
      return (await this.#call({ method: "POST", path, body: req })).json as MetalDevice;
    }
    const body = { ...req, tags: [...(req.tags ?? []), tag] };
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.#call({ method: "POST", path, body, attempts: 1 })).json as MetalDevice;
      } catch (e) {
        const ambiguous =
          e instanceof MetalApiError && (e.status === 0 || e.status === 429 || e.status >= 500);
        if (!ambiguous || attempt >= this.#attempts) throw e;
        await sleep(this.#backoff(attempt));
        const found = e.status === 429 ? undefined : await this.findDeviceByTag(projectId, tag);
        if (found !== undefined) return found;
      }
    }
  }

  /** The project's device carrying `tag`, if any (`GET /projects/{id}/devices?tag=`). */
  async findDeviceByTag(projectId: string, tag: string): Promise<MetalDevice | undefined> {
    for (let page = 1; page <= 100; page++) {
      const q = new URLSearchParams({ tag, per_page: "100", page: String(page) });
      const r = await this.#call({
        method: "GET",
        path: `/projects/${encodeURIComponent(projectId)}/devices?${q.toString()}`,
      });
      const list = (r.json as { devices?: MetalDevice[] } | undefined)?.devices ?? [];
      const hit = list.find((d) => d.tags?.includes(tag) === true);
      if (hit !== undefined) return hit;
      if (list.length < 100) return undefined;
    }
    return undefined;
  }

  /** `GET /devices/{id}`; undefined when the device does not exist (404). */
  async getDevice(id: string): Promise<MetalDevice | undefined> {
    const r = await this.#call({ method: "GET", path: this.#devicePath(id), accept: [404] });
    return r.status === 404 ? undefined : (r.json as MetalDevice);
  }

  /** `PUT /devices/{id}` with only the fields given. */
  async updateDevice(id: string, patch: MetalUpdateDeviceRequest): Promise<MetalDevice> {
    const r = await this.#call({ method: "PUT", path: this.#devicePath(id), body: patch });
    return r.json as MetalDevice;
  }

  /** `POST /devices/{id}/actions {"type":"reboot"}`. */
  async rebootDevice(id: string): Promise<void> {
    await this.#call({
      method: "POST",
      path: `${this.#devicePath(id)}/actions`,
      body: { type: "reboot" },
    });
  }

  /**
   * Reboots `id` and waits until the API shows it: the device leaves
   * `active` within `graceMs`. The API may still report `active` for a
   * moment after it accepted the action, and a wait for `active` straight
   * away would pass before the machine went down. A reboot the API never
   * shows within `graceMs` (a coarse state, a fast machine) is taken as done.
   * Returns the first state seen that is not `active`, if any.
   */
  async rebootAndAwaitDown(
    id: string,
    opts: { graceMs: number; pollMs?: number },
  ): Promise<string | undefined> {
    await this.rebootDevice(id);
    const deadline = Date.now() + opts.graceMs;
    const pollMs = Math.min(opts.pollMs ?? 2000, 2000);
    for (;;) {
      const device = await this.getDevice(id);
      if (device === undefined) throw new MetalWaitError("gone", id, ["active"]);
      if (device.state !== "active") return device.state;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await sleep(Math.min(pollMs, left));
    }
  }

  /** `DELETE /devices/{id}`; a device already gone (404) counts as deleted. */
  async deleteDevice(id: string): Promise<void> {
    await this.#call({ method: "DELETE", path: this.#devicePath(id), accept: [404] });
  }

  /**
   * Polls `GET /devices/{id}` until its state is one of `want`. Throws a
   * {@link MetalWaitError} when it reaches a `fail` state (default
   * `["failed"]`), disappears, or `timeoutMs` passes.
   * @param opts.pollMs ms between polls. Default 5000.
   */
  async waitForState(
    id: string,
    want: string[],
    opts: { timeoutMs: number; pollMs?: number; fail?: string[] },
  ): Promise<MetalDevice> {
    let lastState: string | undefined;
    const deadline = Date.now() + opts.timeoutMs;
    const fail = opts.fail ?? ["failed"];
    const pollMs = opts.pollMs ?? 5000;
    for (;;) {
      const device = await this.getDevice(id);
      if (device === undefined) throw new MetalWaitError("gone", id, want);
      if (device.state !== lastState) {
        progress(
          `device ${id}: ${device.state}${want.includes(device.state) ? "" : ` (waiting for ${want.join(" or ")})`}`,
        );
        lastState = device.state;
      }
      if (want.includes(device.state)) return device;
      if (fail.includes(device.state)) throw new MetalWaitError("failed", id, want, device);
      const left = deadline - Date.now();
      if (left <= 0) throw new MetalWaitError("timeout", id, want, device);
      await sleep(Math.min(pollMs, left));
    }
  }

  #devicePath(id: string): string {
    return `/devices/${encodeURIComponent(id)}`;
  }

  /** Removes the token from text that may echo it (error bodies, causes). */
  #scrub(text: string): string {
    return this.#token === "" ? text : text.split(this.#token).join("[redacted]");
  }

  async #call(call: Call): Promise<{ status: number; json: unknown }> {
    const what = `${call.method} ${call.path}`;
    let last: { status: number; errors: string[]; cause?: unknown } = { status: 0, errors: [] };
    const attempts = call.attempts ?? this.#attempts;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let res: Response;
      let text: string;
      try {
        res = await fetch(`${this.apiUrl}${call.path}`, {
          method: call.method,
          headers: {
            "X-Auth-Token": this.#token,
            Accept: "application/json",
            ...(call.body === undefined ? {} : { "Content-Type": "application/json" }),
          },
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
          signal: AbortSignal.timeout(this.#requestTimeoutMs),
          // Never followed: fetch would send X-Auth-Token on to wherever a 307 points.
          redirect: "manual",
        });
        text = await res.text();
      } catch (e) {
        const reason = this.#scrub(e instanceof Error ? describeFetchError(e) : String(e));
        last = { status: 0, errors: [reason] };
        if (attempt < attempts) await sleep(this.#backoff(attempt));
        continue;
      }
      if (res.status >= 300 && res.status < 400) {
        const to = res.headers.get("location");
        let where = "elsewhere";
        try {
          where = to === null ? where : new URL(to, this.apiUrl).origin;
        } catch {
          /* an unreadable Location: say nothing more */
        }
        throw new MetalApiError(what, res.status, [`the API redirected to ${where}`], {
          hint: `redirects are not followed (the token would go with them): set apiUrl to the API's final address${where === "elsewhere" ? "" : ` (${where}...)`}`,
        });
      }
      if (res.ok || call.accept?.includes(res.status)) {
        return { status: res.status, json: text === "" ? undefined : parseJson(text, what) };
      }
      last = { status: res.status, errors: apiErrorsOf(this.#scrub(text)) };
      const retryable = res.status === 429 || res.status >= 500;
      if (!retryable || attempt === attempts) break;
      const wait =
        res.status === 429
          ? (retryAfterMs(res.headers.get("retry-after")) ?? this.#backoff(attempt))
          : this.#backoff(attempt);
      await sleep(wait);
    }
    if (last.status === 0) {
      throw new MetalApiError(what, 0, last.errors, {
        hint: `could not reach the Metal API at ${this.apiUrl} after ${attempts} attempt(s): check apiUrl and the network`,
      });
    }
    throw new MetalApiError(what, last.status, last.errors);
  }

  #backoff(attempt: number): number {
    return this.#baseDelayMs * 2 ** (attempt - 1);
  }
}

/** Loopback hosts, where plain http exposes the token to no network. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** Refuses an API root the token must not be sent to: not a URL, or plain http off this machine. */
function checkApiUrl(apiUrl: string): void {
  let u: URL;
  try {
    u = new URL(apiUrl);
  } catch {
    throw new MetalApiError("configuration", 0, [`apiUrl is not a URL`], {
      hint: "set apiUrl (or metal:apiUrl, METAL_API_URL) to the API root, e.g. https://api.example.com/metal/v1",
    });
  }
  if (u.protocol === "https:") return;
  if (u.protocol === "http:" && LOOPBACK.test(u.hostname)) return;
  throw new MetalApiError(
    "configuration",
    0,
    [`the Metal API must be reached over https, not ${u.protocol}//${u.host}`],
    {
      hint: "set apiUrl to an https:// address (plain http is only accepted on loopback, e.g. a local test API): the token would travel in clear",
    },
  );
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MetalApiError(what, 200, [`the answer is not JSON: ${text.slice(0, 200)}`], {
      hint: "check that apiUrl points at a Metal API v1 root",
      cause: e,
    });
  }
}

/** fetch's TypeError hides the reason (ECONNREFUSED, ...) in `cause`. */
function describeFetchError(e: Error): string {
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
  return `${e.message}${cause}`;
}

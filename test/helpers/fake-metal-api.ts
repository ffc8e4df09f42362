/**
 * A fake Metal API v1 (Packet / Equinix Metal) on 127.0.0.1 for tests: the
 * published paths and JSON field names, `X-Auth-Token` auth, devices that
 * go queued → provisioning → active, a reboot action, `{"errors": [...]}`
 * error bodies, 401/404/422/429, and hooks to inject failures, hold a
 * device in a state, or delete it behind the client's back. Every request
 * is logged (method, path, body, status) without the token.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the fake saw it. The token is never recorded. */
export interface FakeMetalRequest {
  method: string;
  /** Path below the API root, e.g. `/devices/<id>/actions`. */
  path: string;
  /** Parsed JSON body, when there was one. */
  body?: unknown;
  /** Whether an `X-Auth-Token` header was sent at all. */
  hadToken: boolean;
  /** The status answered; -1 for an injected reset, -2 for an injected hang. */
  status: number;
}

/** A device as stored; `toJSON()`-shaped like the API's Device. */
export interface FakeDevice {
  id: string;
  short_id: string;
  href: string;
  hostname: string;
  state: string;
  ipxe_script_url?: string;
  always_pxe: boolean;
  userdata: string;
  tags: string[];
  billing_cycle: string;
  operating_system: { slug: string; name: string };
  plan: { slug: string };
  metro: { code: string };
  project: { href: string };
  locked: boolean;
  ip_addresses: { address: string; public: boolean; address_family: number; management: boolean }[];
  created_at: string;
  updated_at: string;
}

export interface FakeMetalOptions {
  /** The only token accepted. Default `fake-metal-token`. */
  token?: string;
  /** Plan slugs accepted; others get 422. */
  plans?: string[];
  /** Metro codes accepted; others get 422. */
  metros?: string[];
  /** Project IDs that exist; others get 404. Default: any project exists. */
  projects?: string[];
  /** Project IDs the token may not use: 403. */
  forbiddenProjects?: string[];
  /**
   * How devices move through transient states: `time` (one step every
   * `stepMs`) or `gets` (one step every `getsPerStep` GETs of that device).
   * Default `time`.
   */
  advance?: "time" | "gets";
  /** ms per state step in `time` mode. Default 50. */
  stepMs?: number;
  /** GETs per state step in `gets` mode. Default 1. */
  getsPerStep?: number;
  /** States a device passes on its way to `active` after create. Default `queued`, `provisioning`. */
  createStates?: string[];
  /** States a device passes on its way back to `active` after a reboot. Default `powering_off`, `powering_on`. */
  rebootStates?: string[];
}

/** An injected answer for the next matching requests. */
export interface FakeMetalFault {
  /** The HTTP status answered (with `kind: "status"`). */
  status?: number;
  /**
   * `status` (default): an error answer; `reset`: the connection is closed
   * without an answer; `hang`: no answer ever (the client's timeout ends it).
   */
  kind?: "status" | "reset" | "hang";
  /**
   * Carry the request out first, then answer with the fault: the API did
   * the work but the client never learns it (a POST that created a device).
   */
  after?: boolean;
  /** Seconds, sent as `Retry-After`. */
  retryAfter?: number;
  errors?: string[];
  /** Which requests it applies to. Default: any authenticated request. */
  match?: (method: string, path: string) => boolean;
  /** How many requests it answers. Default 1. */
  times?: number;
}

interface Track {
  /** States still to pass through, then the final one. */
  steps: string[];
  enteredAt: number;
  gets: number;
}

export interface FakeMetalApi {
  /** API root to give the client, e.g. `http://127.0.0.1:PORT/metal/v1`. */
  apiUrl: string;
  /** The TCP port on 127.0.0.1 (a qemu guest reaches it as 10.0.2.2:port). */
  port: number;
  /**
   * Path (below the server root, no auth) of the script a machine gets
   * from the platform's own DHCP/iPXE on every boot with always_pxe: it
   * chains to the device's current `ipxe_script_url`.
   */
  chainPath(id: string): string;
  token: string;
  /** Every request, in order. */
  requests: FakeMetalRequest[];
  devices: Map<string, FakeDevice>;
  /** Answer the next matching request(s) with an error. */
  inject(fault: FakeMetalFault): void;
  /** Drop every injected fault not yet used up. */
  clearFaults(): void;
  /** Calls `f` on every authenticated request, before it is answered; returns the unwatch. */
  watch(f: (method: string, path: string) => void): () => void;
  /** Keep a device in `state` (default: its current state) until released: it never returns to `active`. */
  hold(id: string, state?: string): void;
  release(id: string): void;
  /** Set a device's state now (e.g. `failed`), ending any transition. */
  setState(id: string, state: string): void;
  /** Delete a device without a request, as if someone removed it elsewhere. */
  deleteBehindBack(id: string): void;
  /** Requests matching `method` and a path regexp. */
  calls(method: string, path: RegExp): FakeMetalRequest[];
  close(): Promise<void>;
}

const ROOT = "/metal/v1";

const DEFAULT_PLANS = [
  "c3.small.x86",
  "c3.medium.x86",
  "m3.small.x86",
  "m3.large.x86",
  "c3.large.arm64",
  "t1.small.x86",
  "baremetal_0",
  "baremetal_2a",
];
const DEFAULT_METROS = ["am", "da", "dc", "fr", "ny", "sg", "sv", "sy", "ty"];

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startFakeMetalApi(opts: FakeMetalOptions = {}): Promise<FakeMetalApi> {
  const token = opts.token ?? "fake-metal-token";
  const plans = new Set(opts.plans ?? DEFAULT_PLANS);
  const metros = new Set(opts.metros ?? DEFAULT_METROS);
  const projects = opts.projects === undefined ? undefined : new Set(opts.projects);
  const forbidden = new Set(opts.forbiddenProjects ?? []);
  const advance = opts.advance ?? "time";
  const stepMs = opts.stepMs ?? 50;
  const getsPerStep = opts.getsPerStep ?? 1;
  const createStates = opts.createStates ?? ["queued", "provisioning"];
  const rebootStates = opts.rebootStates ?? ["powering_off", "powering_on"];

  const devices = new Map<string, FakeDevice>();
  const tracks = new Map<string, Track>();
  const held = new Map<string, string>();
  const requests: FakeMetalRequest[] = [];
  const faults: (FakeMetalFault & { left: number })[] = [];
  const watchers = new Set<(method: string, path: string) => void>();
  let ipCounter = 0;

  const startTrack = (d: FakeDevice, states: string[]): void => {
    const [first, ...rest] = [...states, "active"];
    d.state = first!;
    tracks.set(d.id, { steps: rest, enteredAt: Date.now(), gets: 0 });
  };

  /** Moves a device along its track as far as time or GETs allow. */
  const step = (d: FakeDevice, isGet: boolean): void => {
    const heldState = held.get(d.id);
    if (heldState !== undefined) {
      d.state = heldState;
      return;
    }
    const t = tracks.get(d.id);
    if (t === undefined) return;
    if (advance === "gets") {
      if (isGet) t.gets++;
      while (t.gets >= getsPerStep && t.steps.length > 0) {
        t.gets -= getsPerStep;
        d.state = t.steps.shift()!;
      }
    } else {
      while (Date.now() - t.enteredAt >= stepMs && t.steps.length > 0) {
        t.enteredAt += stepMs;
        d.state = t.steps.shift()!;
      }
    }
    if (d.state === "active" && d.ip_addresses.length === 0) assignIps(d);
    if (t.steps.length === 0) tracks.delete(d.id);
  };

  const assignIps = (d: FakeDevice): void => {
    ipCounter++;
    d.ip_addresses = [
      {
        address: `147.75.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`,
        public: true,
        address_family: 4,
        management: true,
      },
      {
        address: `2604:1380:4641:${ipCounter.toString(16)}::1`,
        public: true,
        address_family: 6,
        management: true,
      },
      {
        address: `10.70.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`,
        public: false,
        address_family: 4,
        management: true,
      },
    ];
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      send(res, 500, { errors: [`fake metal api bug: ${String(e)}`] });
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? "/", "http://fake");
    const path = url.pathname.startsWith(ROOT) ? url.pathname.slice(ROOT.length) : url.pathname;
    const method = req.method ?? "GET";
    const header = req.headers["x-auth-token"];
    const sent = Array.isArray(header) ? header[0] : header;
    let body: unknown;
    let status = 0;
    const reply = (code: number, payload?: unknown, headers: Record<string, string> = {}): void => {
      status = code;
      send(res, code, payload, headers);
    };
    try {
      if (raw !== "") {
        try {
          body = JSON.parse(raw);
        } catch {
          return reply(422, { errors: ["Request body is not valid JSON"] });
        }
      }
      const chain = /^\/ipxe\/([^/]+)$/.exec(url.pathname);
      if (chain !== null && method === "GET") {
        const d = devices.get(decodeURIComponent(chain[1]!));
        if (d?.ipxe_script_url === undefined) return reply(404, { errors: ["Not found"] });
        status = 200;
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end(`#!ipxe\nchain ${d.ipxe_script_url}\n`);
        return;
      }
      if (!url.pathname.startsWith(ROOT)) return reply(404, { errors: ["Not found"] });
      if (sent === undefined || sent === "") {
        return reply(401, { errors: ["Invalid authentication token"] });
      }
      if (sent !== token) return reply(401, { errors: ["Invalid authentication token"] });
      for (const w of watchers) w(method, path);
      const fault = faults.find((f) => f.left > 0 && (f.match?.(method, path) ?? true));
      if (fault !== undefined) {
        fault.left--;
        if (fault.after === true) route(method, path, url.searchParams, body, () => undefined);
        const kind = fault.kind ?? "status";
        if (kind === "reset") {
          status = -1;
          req.socket.destroy();
          return;
        }
        if (kind === "hang") {
          status = -2;
          return;
        }
        return reply(
          fault.status ?? 500,
          {
            errors: fault.errors ?? [fault.status === 429 ? "Too Many Requests" : "Injected error"],
          },
          fault.retryAfter === undefined ? {} : { "Retry-After": String(fault.retryAfter) },
        );
      }
      route(method, path, url.searchParams, body, reply);
    } finally {
      requests.push({ method, path, body, hadToken: sent !== undefined, status });
    }
  };

  const route = (
    method: string,
    path: string,
    query: URLSearchParams,
    body: unknown,
    reply: (code: number, payload?: unknown) => void,
  ): void => {
    let m: RegExpExecArray | null;
    if ((m = /^\/projects\/([^/]+)\/devices$/.exec(path))) {
      const projectId = decodeURIComponent(m[1]!);
      if (projects !== undefined && !projects.has(projectId)) {
        return reply(404, { errors: ["Not found"] });
      }
      if (forbidden.has(projectId)) {
        return reply(403, { errors: ["You are not authorized to view this project"] });
      }
      if (method === "GET") {
        const tag = query.get("tag");
        const list = [...devices.values()].filter(
          (d) =>
            d.project.href === `${ROOT}/projects/${projectId}` &&
            (tag === null || d.tags.includes(tag)),
        );
        list.forEach((d) => step(d, false));
        return reply(200, { devices: list, meta: { total: list.length } });
      }
      if (method !== "POST") return reply(405, { errors: ["Method not allowed"] });
      return reply(...createDevice(projectId, body));
    }
    if ((m = /^\/devices\/([^/]+)(\/actions)?$/.exec(path))) {
      const d = devices.get(decodeURIComponent(m[1]!));
      if (d === undefined) return reply(404, { errors: ["Not found"] });
      if (m[2] !== undefined) {
        if (method !== "POST") return reply(405, { errors: ["Method not allowed"] });
        step(d, false);
        return reply(...deviceAction(d, body));
      }
      if (method === "GET") {
        step(d, true);
        return reply(200, d);
      }
      if (method === "PUT") {
        step(d, false);
        return reply(...updateDevice(d, body));
      }
      if (method === "DELETE") {
        if (d.locked) return reply(422, { errors: ["Cannot delete a locked device"] });
        devices.delete(d.id);
        tracks.delete(d.id);
        return reply(204);
      }
      return reply(405, { errors: ["Method not allowed"] });
    }
    return reply(404, { errors: ["Not found"] });
  };

  const createDevice = (projectId: string, body: unknown): [number, unknown] => {
    const b = (body ?? {}) as Record<string, unknown>;
    const errors: string[] = [];
    if (typeof b.plan !== "string" || !plans.has(b.plan)) {
      errors.push(`Plan ${JSON.stringify(b.plan ?? null)} is not a valid plan`);
    }
    if (typeof b.metro !== "string" || !metros.has(b.metro)) {
      errors.push(`Metro ${JSON.stringify(b.metro ?? null)} is not a valid metro`);
    }
    if (typeof b.operating_system !== "string") errors.push("Operating system is required");
    if (b.operating_system === "custom_ipxe" && typeof b.ipxe_script_url !== "string") {
      errors.push("ipxe_script_url is required when operating system is custom_ipxe");
    }
    if (errors.length > 0) return [422, { errors }];
    const id = randomUUID();
    const now = new Date().toISOString();
    const d: FakeDevice = {
      id,
      short_id: id.slice(0, 8),
      href: `${ROOT}/devices/${id}`,
      hostname: typeof b.hostname === "string" ? b.hostname : `dev-${id.slice(0, 8)}`,
      state: "queued",
      ipxe_script_url: typeof b.ipxe_script_url === "string" ? b.ipxe_script_url : undefined,
      always_pxe: b.always_pxe === true,
      userdata: typeof b.userdata === "string" ? b.userdata : "",
      tags: Array.isArray(b.tags) ? b.tags.map(String) : [],
      billing_cycle: typeof b.billing_cycle === "string" ? b.billing_cycle : "hourly",
      operating_system: { slug: String(b.operating_system), name: String(b.operating_system) },
      plan: { slug: b.plan as string },
      metro: { code: b.metro as string },
      project: { href: `${ROOT}/projects/${projectId}` },
      locked: false,
      ip_addresses: [],
      created_at: now,
      updated_at: now,
    };
    devices.set(id, d);
    startTrack(d, createStates);
    return [201, d];
  };

  const updateDevice = (d: FakeDevice, body: unknown): [number, unknown] => {
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b.ipxe_script_url === "string") d.ipxe_script_url = b.ipxe_script_url;
    if (typeof b.always_pxe === "boolean") d.always_pxe = b.always_pxe;
    if (typeof b.userdata === "string") d.userdata = b.userdata;
    if (typeof b.hostname === "string") d.hostname = b.hostname;
    if (Array.isArray(b.tags)) d.tags = b.tags.map(String);
    if (typeof b.locked === "boolean") d.locked = b.locked;
    if (typeof b.billing_cycle === "string") d.billing_cycle = b.billing_cycle;
    d.updated_at = new Date().toISOString();
    return [200, d];
  };

  const deviceAction = (d: FakeDevice, body: unknown): [number, unknown] => {
    const type = (body as { type?: unknown } | undefined)?.type;
    if (!["power_on", "power_off", "reboot", "reinstall", "rescue"].includes(String(type))) {
      return [422, { errors: [`Unknown action type ${JSON.stringify(type ?? null)}`] }];
    }
    if (d.state === "queued" || d.state === "provisioning") {
      return [422, { errors: [`Cannot ${String(type)} a device that is ${d.state}`] }];
    }
    if (type === "reboot") startTrack(d, rebootStates);
    else if (type === "power_off") d.state = "inactive";
    else if (type === "power_on") startTrack(d, ["powering_on"]);
    return [202, undefined];
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    apiUrl: `http://127.0.0.1:${port}${ROOT}`,
    port,
    chainPath: (id) => `/ipxe/${encodeURIComponent(id)}`,
    token,
    requests,
    devices,
    inject: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    clearFaults: () => void faults.splice(0),
    watch: (f) => {
      watchers.add(f);
      return () => void watchers.delete(f);
    },
    hold: (id, state) => {
      const d = devices.get(id);
      held.set(id, state ?? d?.state ?? "provisioning");
      if (d !== undefined) d.state = held.get(id)!;
    },
    release: (id) => void held.delete(id),
    setState: (id, state) => {
      const d = devices.get(id);
      tracks.delete(id);
      if (d !== undefined) {
        d.state = state;
        if (state === "active" && d.ip_addresses.length === 0) assignIps(d);
      }
    },
    deleteBehindBack: (id) => {
      devices.delete(id);
      tracks.delete(id);
    },
    calls: (method, path) => requests.filter((r) => r.method === method && path.test(r.path)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  payload?: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = payload === undefined ? "" : JSON.stringify(payload);
  res.writeHead(status, {
    ...(text === "" ? {} : { "Content-Type": "application/json" }),
    "Content-Length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

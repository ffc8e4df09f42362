/**
 * A Redfish client for what booting an image takes: systems, power
 * (ComputerSystem.Reset), one-time boot override and virtual media.
 * Open it with {@link withRedfish}, which always closes the session.
 * Actions answered with a task monitor are followed to their end.
 */
import { RedfishError } from "./redfish-error";
import { login, type RedfishCredentials, type RedfishLogin } from "./redfish-session";
import { awaitTask, type TaskWait } from "./redfish-task";
import {
  RedfishTransport,
  responseError,
  type RedfishResponse,
  type RedfishTransportOptions,
} from "./redfish-transport";
import type {
  BootTarget,
  ComputerSystem,
  Manager,
  PowerState,
  RedfishCollection,
  ResetType,
  VirtualMedia,
} from "./redfish-types";

export interface RedfishConnectOptions extends RedfishTransportOptions, RedfishCredentials {
  /** Log in with HTTP Basic even where the service offers sessions. Default false. */
  preferBasic?: boolean;
  /** How long actions' tasks may run. */
  taskWait?: TaskWait;
}

export interface BootOverride {
  target: BootTarget;
  /** `UEFI` or `Legacy`; unset leaves the system's mode. */
  mode?: "UEFI" | "Legacy";
  /** For `UefiHttp`: the URL the firmware boots. */
  httpBootUri?: string;
}

const SYSTEMS = "/redfish/v1/Systems";

export class RedfishClient {
  private constructor(
    private readonly t: RedfishTransport,
    private readonly auth: RedfishLogin,
    private readonly taskWait: TaskWait,
  ) {}

  /** Logs in (session or Basic); close it with {@link close}. */
  static async connect(opts: RedfishConnectOptions): Promise<RedfishClient> {
    const t = new RedfishTransport(opts);
    try {
      const auth = await login(t, opts, { preferBasic: opts.preferBasic === true });
      return new RedfishClient(t, auth, opts.taskWait ?? {});
    } catch (e) {
      t.close();
      throw e;
    }
  }

  /** `https://bmc.example`, for messages. */
  get endpoint(): string {
    return this.t.endpoint;
  }

  /** `session` or `basic`. */
  get authKind(): "session" | "basic" {
    return this.auth.kind;
  }

  /** Deletes the session and closes connections. */
  async close(): Promise<void> {
    await this.auth.close();
    this.t.close();
  }

  private async call(
    method: string,
    path: string,
    doing: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<RedfishResponse> {
    const res = await this.t.request(method, path, {
      headers: { ...this.auth.headers, ...extraHeaders },
      ...(body === undefined ? {} : { body }),
    });
    const final = await awaitTask(this.t, this.auth.headers, res, doing, this.taskWait);
    if (final.status >= 400) throw responseError(this.endpoint, method, path, final, doing);
    return final;
  }

  /** A resource, or undefined when the service answers 404. */
  async get<T>(path: string, doing = `reading ${path}`): Promise<T | undefined> {
    const res = await this.t.request("GET", path, { headers: this.auth.headers });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw responseError(this.endpoint, "GET", path, res, doing);
    return res.body as T;
  }

  private async must<T>(path: string, doing: string): Promise<T> {
    const r = await this.get<T>(path, doing);
    if (r === undefined) {
      throw new RedfishError(`${doing}: Redfish service ${this.endpoint} has no ${path}`, {
        status: 404,
      });
    }
    return r;
  }

  /** The paths of every system (`/redfish/v1/Systems/<id>`). */
  async systemPaths(): Promise<string[]> {
    const c = await this.must<RedfishCollection>(SYSTEMS, "listing systems");
    return (c.Members ?? []).map((m) => m["@odata.id"]);
  }

  /**
   * The path of system `systemId`, or of the only system when none is
   * given; an error listing the systems when several exist or the id is
   * not one of them.
   */
  async resolveSystem(systemId?: string): Promise<string> {
    const paths = await this.systemPaths();
    const ids = paths.map((p) => p.replace(/\/$/, "").split("/").pop()!);
    if (systemId === undefined || systemId === "") {
      if (paths.length === 1) return paths[0]!;
      throw new RedfishError(
        `Redfish service ${this.endpoint} has ${paths.length === 0 ? "no systems" : `${paths.length} systems (${ids.join(", ")})`}: say which one with systemId`,
        {
          hint:
            paths.length === 0 ? "check the endpoint" : `e.g. systemId: ${JSON.stringify(ids[0])}`,
        },
      );
    }
    const i = ids.indexOf(systemId);
    if (i >= 0) return paths[i]!;
    // Some services also accept a name or alias (sushy-tools: the libvirt domain name).
    const direct = await this.get<ComputerSystem>(`${SYSTEMS}/${encodeURIComponent(systemId)}`);
    if (direct !== undefined) return direct["@odata.id"];
    throw new RedfishError(
      `Redfish service ${this.endpoint} has no system ${JSON.stringify(systemId)}; it has ${ids.join(", ") || "none"}`,
      { hint: "set systemId to one of those" },
    );
  }

  /** The system, or undefined when it is gone. */
  system(path: string): Promise<ComputerSystem | undefined> {
    return this.get<ComputerSystem>(path, `reading system ${path}`);
  }

  async powerState(path: string): Promise<PowerState | undefined> {
    return (await this.system(path))?.PowerState;
  }

  /** ComputerSystem.Reset; an error naming the allowed values when `type` is not one. */
  async reset(path: string, type: ResetType): Promise<void> {
    const sys = await this.must<ComputerSystem>(path, `resetting ${path}`);
    const action = sys.Actions?.["#ComputerSystem.Reset"];
    const allowed = action?.["ResetType@Redfish.AllowableValues"];
    if (allowed !== undefined && allowed.length > 0 && !allowed.includes(type)) {
      throw new RedfishError(
        `system ${path} on ${this.endpoint} does not allow ResetType ${type}; it allows ${allowed.join(", ")}`,
        { hint: "choose a restart type among those" },
      );
    }
    const target = action?.target ?? `${path.replace(/\/$/, "")}/Actions/ComputerSystem.Reset`;
    await this.call("POST", target, `${type} of system ${path}`, { ResetType: type });
  }

  /** A one-time (`Once`) boot override. */
  async setBootOnce(path: string, o: BootOverride, etag?: string): Promise<void> {
    const boot: Record<string, string> = {
      BootSourceOverrideTarget: o.target,
      BootSourceOverrideEnabled: "Once",
    };
    if (o.mode !== undefined) boot.BootSourceOverrideMode = o.mode;
    if (o.httpBootUri !== undefined) boot.HttpBootUri = o.httpBootUri;
    await this.call(
      "PATCH",
      path,
      `setting a one-time boot from ${o.target} on system ${path}`,
      { Boot: boot },
      etag === undefined ? {} : { "If-Match": etag },
    );
  }

  /**
   * The system's CD/DVD virtual media device: under the system (newer
   * BMCs) or its manager; an error when there is none.
   */
  async virtualCd(systemPath: string): Promise<VirtualMedia> {
    const sys = await this.must<ComputerSystem>(systemPath, `reading system ${systemPath}`);
    const collections: string[] = [];
    if (sys.VirtualMedia !== undefined) collections.push(sys.VirtualMedia["@odata.id"]);
    for (const m of sys.Links?.ManagedBy ?? []) {
      const mgr = await this.get<Manager>(m["@odata.id"]);
      if (mgr?.VirtualMedia !== undefined) collections.push(mgr.VirtualMedia["@odata.id"]);
    }
    for (const c of collections) {
      const col = await this.get<RedfishCollection>(c);
      for (const member of col?.Members ?? []) {
        const vm = await this.get<VirtualMedia>(member["@odata.id"]);
        if (vm?.MediaTypes?.some((t) => t === "CD" || t === "DVD")) return vm;
      }
    }
    throw new RedfishError(
      `system ${systemPath} on ${this.endpoint} has no CD/DVD virtual media device`,
      {
        hint: "use bootMethod http or pxe, or enable virtual media on the BMC (it may need a licence)",
      },
    );
  }

  async insertMedia(vm: VirtualMedia, image: string): Promise<void> {
    const target =
      vm.Actions?.["#VirtualMedia.InsertMedia"]?.target ??
      `${vm["@odata.id"].replace(/\/$/, "")}/Actions/VirtualMedia.InsertMedia`;
    await this.call("POST", target, `inserting virtual media into ${vm["@odata.id"]}`, {
      Image: image,
      Inserted: true,
      WriteProtected: true,
    });
  }

  async ejectMedia(vm: VirtualMedia): Promise<void> {
    const target =
      vm.Actions?.["#VirtualMedia.EjectMedia"]?.target ??
      `${vm["@odata.id"].replace(/\/$/, "")}/Actions/VirtualMedia.EjectMedia`;
    await this.call("POST", target, `ejecting virtual media from ${vm["@odata.id"]}`, {});
  }
}

/** Runs `fn` with a logged-in client; the session is closed whatever happens. */
export async function withRedfish<T>(
  opts: RedfishConnectOptions,
  fn: (client: RedfishClient) => Promise<T>,
): Promise<T> {
  const client = await RedfishClient.connect(opts);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

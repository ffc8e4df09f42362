/**
 * A small Redfish service following DMTF's specification, for what
 * sushy-tools cannot show: sessions (`X-Auth-Token`, deleted on close),
 * actions answered with 202 and a task monitor (running, then completed or
 * failed with `Messages`), errors with `@Message.ExtendedInfo`, several
 * systems, redirects, and TLS. It records each request's method, path
 * and how it authenticated (never the credentials).
 */
import { createServer as createHttp, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttps } from "node:https";
import type { AddressInfo } from "node:net";

export interface FakeBmcOptions {
  username: string;
  password: string;
  /** System ids. Default ["1"]. */
  systems?: string[];
  /** Offer a session service. Default true. */
  sessions?: boolean;
  /** `fail`: InsertMedia runs as a task that ends in Exception; `ok`: as a task that completes. */
  insertTask?: "fail" | "ok";
  /** Polls of the task monitor that still say Running. Default 2. */
  taskPolls?: number;
  /** Reset types allowed. Default On, ForceOff, ForceRestart, GracefulRestart, GracefulShutdown. */
  resetTypes?: string[];
  /** Serve HTTPS with this key and certificate. */
  tls?: { key: string; cert: string };
  /** Answer GET /redfish/v1/Systems with a redirect to this URL. */
  redirectSystemsTo?: string;
}

export interface FakeBmcRequest {
  method: string;
  path: string;
  auth: "session" | "basic" | "none" | "bad";
}

export interface FakeBmc {
  endpoint: string;
  requests: FakeBmcRequest[];
  /** Session ids still open. */
  openSessions(): string[];
  systems: Map<
    string,
    { power: string; boot: Record<string, unknown>; image: string; inserted: boolean }
  >;
  close(): Promise<void>;
}

const msg = (id: string, message: string, resolution?: string) => ({
  "@odata.type": "#Message.v1_1_1.Message",
  MessageId: id,
  Message: message,
  ...(resolution === undefined ? {} : { Resolution: resolution }),
});

export async function startFakeBmc(o: FakeBmcOptions): Promise<FakeBmc> {
  const ids = o.systems ?? ["1"];
  const systems = new Map(
    ids.map((id) => [id, { power: "On", boot: {}, image: "", inserted: false }]),
  );
  const sessions = new Map<string, string>(); // token -> session id
  const openIds = new Set<string>();
  const tasks = new Map<string, { polls: number; outcome: "fail" | "ok" }>();
  const requests: FakeBmcRequest[] = [];
  let nextId = 1;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const p = url.pathname.replace(/\/$/, "") || "/";
      const body =
        chunks.length === 0
          ? undefined
          : (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
      const send = (status: number, json?: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, {
          ...(json === undefined ? {} : { "Content-Type": "application/json" }),
          ...headers,
        });
        res.end(json === undefined ? undefined : JSON.stringify(json));
      };
      const error = (status: number, ...messages: ReturnType<typeof msg>[]): void =>
        send(status, {
          error: {
            code: messages[0]?.MessageId ?? "Base.1.8.GeneralError",
            message: "See @Message.ExtendedInfo for more information.",
            "@Message.ExtendedInfo": messages,
          },
        });

      const token = req.headers["x-auth-token"];
      const basic = req.headers.authorization;
      let auth: FakeBmcRequest["auth"] = "none";
      if (typeof token === "string") auth = sessions.has(token) ? "session" : "bad";
      else if (typeof basic === "string") {
        const [u, pw] = Buffer.from(basic.replace(/^Basic /, ""), "base64")
          .toString()
          .split(":");
        auth = u === o.username && pw === o.password ? "basic" : "bad";
      }
      requests.push({ method: req.method ?? "", path: p, auth });

      if (p === "/redfish/v1" && req.method === "GET") {
        return send(200, {
          "@odata.id": "/redfish/v1/",
          RedfishVersion: "1.15.0",
          Systems: { "@odata.id": "/redfish/v1/Systems" },
          ...(o.sessions === false
            ? {}
            : { Links: { Sessions: { "@odata.id": "/redfish/v1/SessionService/Sessions" } } }),
        });
      }
      if (
        p === "/redfish/v1/SessionService/Sessions" &&
        req.method === "POST" &&
        o.sessions !== false
      ) {
        if (body?.UserName !== o.username || body?.Password !== o.password) {
          return error(
            401,
            msg(
              "Base.1.8.NoValidSession",
              "There is no valid session established with the implementation.",
              "Establish a session before attempting any operations.",
            ),
          );
        }
        const id = String(nextId++);
        const t = `tok-${id}-${Math.random().toString(36).slice(2)}`;
        sessions.set(t, id);
        openIds.add(id);
        return send(
          201,
          {
            "@odata.id": `/redfish/v1/SessionService/Sessions/${id}`,
            Id: id,
            UserName: o.username,
          },
          {
            "X-Auth-Token": t,
            Location: `/redfish/v1/SessionService/Sessions/${id}`,
          },
        );
      }
      if (auth !== "session" && auth !== "basic") {
        return error(
          401,
          msg(
            "Base.1.8.InsufficientPrivilege",
            "There are insufficient privileges for the account or credentials associated with the current session to perform the requested operation.",
          ),
        );
      }
      const sm = /^\/redfish\/v1\/SessionService\/Sessions\/(\d+)$/.exec(p);
      if (sm && req.method === "DELETE") {
        openIds.delete(sm[1]!);
        for (const [t, id] of sessions) if (id === sm[1]) sessions.delete(t);
        return send(204);
      }
      if (p === "/redfish/v1/Systems" && req.method === "GET") {
        if (o.redirectSystemsTo !== undefined)
          return send(307, undefined, { Location: o.redirectSystemsTo });
        return send(200, {
          Members: ids.map((id) => ({ "@odata.id": `/redfish/v1/Systems/${id}` })),
          "Members@odata.count": ids.length,
        });
      }
      const tm = /^\/redfish\/v1\/TaskService\/TaskMonitors\/(\d+)$/.exec(p);
      if (tm && req.method === "GET") {
        const task = tasks.get(tm[1]!);
        if (task === undefined)
          return error(
            404,
            msg("Base.1.8.ResourceMissingAtURI", `The resource at the URI ${p} was not found.`),
          );
        const taskBody = (state: string, status: string, messages: unknown[]) => ({
          "@odata.id": `/redfish/v1/TaskService/Tasks/${tm[1]}`,
          Id: tm[1],
          TaskState: state,
          TaskStatus: status,
          Messages: messages,
        });
        if (task.polls-- > 0)
          return send(202, taskBody("Running", "OK", []), { Location: p, "Retry-After": "0" });
        if (task.outcome === "ok") return send(204);
        return send(
          200,
          taskBody("Exception", "Critical", [
            msg(
              "Base.1.8.ResourceAtUriUnauthorized",
              "While accessing the resource at http://images.example/x.iso, the service received an authorization error unauthorized.",
              "Ensure that the appropriate access is provided for the service in order for it to access the URI.",
            ),
          ]),
        );
      }
      const m = /^\/redfish\/v1\/Systems\/([^/]+)(\/.*)?$/.exec(p);
      const sys = m ? systems.get(m[1]!) : undefined;
      if (!m || !sys)
        return error(
          404,
          msg("Base.1.8.ResourceMissingAtURI", `The resource at the URI ${p} was not found.`),
        );
      const base = `/redfish/v1/Systems/${m[1]}`;
      const rest = m[2] ?? "";
      if (rest === "" && req.method === "GET") {
        return send(200, {
          "@odata.id": base,
          Id: m[1],
          PowerState: sys.power,
          Boot: sys.boot,
          VirtualMedia: { "@odata.id": `${base}/VirtualMedia` },
          Actions: {
            "#ComputerSystem.Reset": {
              target: `${base}/Actions/ComputerSystem.Reset`,
              "ResetType@Redfish.AllowableValues": o.resetTypes ?? [
                "On",
                "ForceOff",
                "ForceRestart",
                "GracefulRestart",
                "GracefulShutdown",
              ],
            },
          },
        });
      }
      if (rest === "" && req.method === "PATCH") {
        const boot = (body?.Boot ?? {}) as Record<string, unknown>;
        if (!["Cd", "Pxe", "UefiHttp", "Hdd"].includes(String(boot.BootSourceOverrideTarget))) {
          return error(
            400,
            msg(
              "Base.1.8.PropertyValueNotInList",
              `The value '${String(boot.BootSourceOverrideTarget)}' for the property BootSourceOverrideTarget is not in the list of acceptable values.`,
              "Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.",
            ),
          );
        }
        sys.boot = boot;
        return send(204);
      }
      if (rest === "/Actions/ComputerSystem.Reset" && req.method === "POST") {
        const type = String(body?.ResetType);
        if (type === "On") sys.power = "On";
        else if (type === "ForceOff" || type === "GracefulShutdown") sys.power = "Off";
        return send(204);
      }
      if (rest === "/VirtualMedia" && req.method === "GET")
        return send(200, {
          Members: [
            { "@odata.id": `${base}/VirtualMedia/Floppy` },
            { "@odata.id": `${base}/VirtualMedia/Cd` },
          ],
        });
      if (rest === "/VirtualMedia/Floppy" && req.method === "GET")
        return send(200, {
          "@odata.id": `${base}/VirtualMedia/Floppy`,
          MediaTypes: ["Floppy", "USBStick"],
        });
      if (rest === "/VirtualMedia/Cd" && req.method === "GET") {
        return send(200, {
          "@odata.id": `${base}/VirtualMedia/Cd`,
          MediaTypes: ["CD", "DVD"],
          Image: sys.image,
          Inserted: sys.inserted,
          Actions: {
            "#VirtualMedia.InsertMedia": {
              target: `${base}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`,
            },
            "#VirtualMedia.EjectMedia": {
              target: `${base}/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia`,
            },
          },
        });
      }
      if (rest === "/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia" && req.method === "POST") {
        if (o.insertTask !== undefined) {
          const id = String(nextId++);
          tasks.set(id, { polls: o.taskPolls ?? 2, outcome: o.insertTask });
          if (o.insertTask === "ok") {
            sys.image = String(body?.Image);
            sys.inserted = true;
          }
          return send(
            202,
            { "@odata.id": `/redfish/v1/TaskService/Tasks/${id}`, TaskState: "New" },
            { Location: `/redfish/v1/TaskService/TaskMonitors/${id}` },
          );
        }
        sys.image = String(body?.Image);
        sys.inserted = true;
        return send(204);
      }
      if (rest === "/VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia" && req.method === "POST") {
        sys.image = "";
        sys.inserted = false;
        return send(204);
      }
      return error(
        405,
        msg(
          "Base.1.8.ActionNotSupported",
          `The action ${req.method} ${p} is not supported by the resource.`,
        ),
      );
    });
  };

  const server =
    o.tls === undefined
      ? createHttp(handler)
      : createHttps({ key: o.tls.key, cert: o.tls.cert }, handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `${o.tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    requests,
    openSessions: () => [...openIds],
    systems,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Logging in to a Redfish service: a session (`POST` to the service
 * root's `Links.Sessions`, answered with an `X-Auth-Token` and the
 * session's `Location`, deleted on close) where the service offers one,
 * otherwise HTTP Basic on every request. Wrong credentials are an error
 * naming the endpoint, the user and the BMC's message, never the password.
 */
import { RedfishError, bmcSays, extendedInfo } from "./redfish-error";
import { responseError, type RedfishResponse, type RedfishTransport } from "./redfish-transport";

export interface RedfishCredentials {
  username: string;
  password: string;
}

/** How requests are authenticated, and how to end that. */
export interface RedfishLogin {
  kind: "session" | "basic";
  /** Headers to send with every request. */
  headers: Record<string, string>;
  /** Deletes the session (a no-op for Basic). Never throws: closing is best effort. */
  close(): Promise<void>;
}

export const SERVICE_ROOT = "/redfish/v1/";

function unauthorized(endpoint: string, user: string, res: RedfishResponse): RedfishError {
  return new RedfishError(
    `Redfish service ${endpoint} refused the credentials of user ${JSON.stringify(user)} (${res.status}): ${bmcSays(res.body, res.text)}`,
    {
      status: res.status,
      messages: extendedInfo((res.body as { error?: unknown } | undefined)?.error ?? res.body),
      hint: "check username and password (the password is a secret: `pulumi config set --secret ...`)",
    },
  );
}

function basic(creds: RedfishCredentials): Record<string, string> {
  const token = Buffer.from(`${creds.username}:${creds.password}`).toString("base64");
  return { Authorization: `Basic ${token}` };
}

/**
 * Logs in. `preferBasic` skips the session (for BMCs whose session service
 * misbehaves). The credentials are checked with a request here, so a wrong
 * password fails at once, not at the first action.
 */
export async function login(
  t: RedfishTransport,
  creds: RedfishCredentials,
  opts: { preferBasic?: boolean } = {},
): Promise<RedfishLogin> {
  const root = await t.request("GET", SERVICE_ROOT);
  if (root.status === 401 || root.status === 403) {
    // Some services protect even the root: Basic is all that is left; check it.
    return basicLogin(t, creds);
  }
  if (root.status !== 200)
    throw responseError(t.endpoint, "GET", SERVICE_ROOT, root, "reading the service root");
  const sessions = (root.body as { Links?: { Sessions?: { "@odata.id"?: string } } } | undefined)
    ?.Links?.Sessions?.["@odata.id"];
  if (opts.preferBasic === true || sessions === undefined) return basicLogin(t, creds);

  const res = await t.request("POST", sessions, {
    body: { UserName: creds.username, Password: creds.password },
  });
  if (res.status === 401 || res.status === 403) throw unauthorized(t.endpoint, creds.username, res);
  if ([404, 405, 501].includes(res.status)) return basicLogin(t, creds);
  if (res.status !== 200 && res.status !== 201) {
    throw responseError(
      t.endpoint,
      "POST",
      sessions,
      res,
      `opening a session as ${JSON.stringify(creds.username)}`,
    );
  }
  const token = res.headers["x-auth-token"];
  const location =
    res.headers.location ?? (res.body as { "@odata.id"?: string } | undefined)?.["@odata.id"];
  if (typeof token !== "string" || token === "") {
    throw new RedfishError(
      `Redfish service ${t.endpoint} opened a session but sent no X-Auth-Token header`,
      { hint: "set preferBasic to log in with HTTP Basic instead" },
    );
  }
  const headers = { "X-Auth-Token": token };
  let closed = false;
  return {
    kind: "session",
    headers,
    async close() {
      if (closed || location === undefined) return;
      closed = true;
      try {
        await t.request("DELETE", location, { headers });
      } catch {
        // The session times out on the BMC by itself; nothing else to do.
      }
    },
  };
}

async function basicLogin(t: RedfishTransport, creds: RedfishCredentials): Promise<RedfishLogin> {
  const headers = basic(creds);
  const res = await t.request("GET", "/redfish/v1/Systems", { headers });
  if (res.status === 401 || res.status === 403) throw unauthorized(t.endpoint, creds.username, res);
  if (res.status !== 200) {
    throw responseError(t.endpoint, "GET", "/redfish/v1/Systems", res, "listing systems");
  }
  return { kind: "basic", headers, close: async () => undefined };
}

/**
 * The Redfish client against a stand-in BMC that follows DMTF's
 * specification (test/helpers/fake-redfish-bmc.ts), for what sushy-tools
 * cannot show: sessions opened and always closed, Basic when there is no
 * session service, tasks followed to their end (and their failure's
 * messages in the error), `@Message.ExtendedInfo` in every error, TLS
 * verified unless told otherwise, no credentials sent to another origin,
 * and the password in no message.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import {
  bootImage,
  reimage,
  release,
  RedfishError,
  withRedfish,
  type RedfishConnectOptions,
} from "../../../components/redfish";
import { startFakeBmc, type FakeBmc, type FakeBmcOptions } from "../../helpers/fake-redfish-bmc";

const USER = "root";
const PASSWORD = "s3cret-Pa55-do-not-print";
const ISO = "http://images.example/web-v2.iso";

let bmc: FakeBmc | undefined;
async function bmcWith(o: Partial<FakeBmcOptions> = {}): Promise<FakeBmc> {
  await bmc?.close();
  bmc = await startFakeBmc({ username: USER, password: PASSWORD, ...o });
  return bmc;
}
const opts = (b: FakeBmc, more: Partial<RedfishConnectOptions> = {}): RedfishConnectOptions => ({
  endpoint: b.endpoint,
  username: USER,
  password: PASSWORD,
  taskWait: { pollMs: 10 },
  ...more,
});
const fast = { pollMs: 10, timeoutMs: 2000 };

/** The error `fn` rejects with; also checks that no message holds the password. */
async function failure(fn: () => Promise<unknown>): Promise<RedfishError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof RedfishError, `a RedfishError, got ${String(e)}`);
    assert.ok(!`${e.message} ${e.hint ?? ""}`.includes(PASSWORD), "the password is in no message");
    return e;
  }
  assert.fail("expected an error");
}

after(async () => {
  await bmc?.close();
});

describe("Redfish client", () => {
  it("opens a session, sends its X-Auth-Token, and deletes the session afterwards", async () => {
    const b = await bmcWith();
    await withRedfish(opts(b), async (c) => {
      assert.equal(c.authKind, "session");
      await bootImage(c, await c.resolveSystem(), { method: "virtualMedia", url: ISO }, fast);
    });
    assert.deepEqual(b.openSessions(), [], "no session left open");
    const after = b.requests.slice(b.requests.findIndex((r) => r.method === "POST"));
    assert.ok(
      after.slice(1).every((r) => r.auth === "session"),
      JSON.stringify(after),
    );
    assert.ok(
      b.requests.some(
        (r) => r.method === "DELETE" && r.path.startsWith("/redfish/v1/SessionService/Sessions/"),
      ),
    );
    const sys = b.systems.get("1")!;
    assert.equal(sys.power, "On");
    assert.equal(sys.image, ISO);
    assert.deepEqual(sys.boot, {
      BootSourceOverrideTarget: "Cd",
      BootSourceOverrideEnabled: "Once",
    });
  });

  it("closes the session when the work fails", async () => {
    const b = await bmcWith();
    await assert.rejects(
      withRedfish(opts(b), async (c) => {
        await c.resolveSystem("nope");
      }),
      /has no system "nope"; it has 1/,
    );
    assert.deepEqual(b.openSessions(), []);
  });

  it("falls back to HTTP Basic when the service has no session service", async () => {
    const b = await bmcWith({ sessions: false });
    await withRedfish(opts(b), async (c) => {
      assert.equal(c.authKind, "basic");
      await c.reset(await c.resolveSystem(), "ForceOff");
    });
    assert.ok(b.requests.filter((r) => r.path !== "/redfish/v1").every((r) => r.auth === "basic"));
    assert.equal(b.systems.get("1")!.power, "Off");
  });

  it("names the endpoint, the user and the BMC's message on a wrong password", async () => {
    for (const sessions of [true, false]) {
      const b = await bmcWith({ sessions });
      const e = await failure(() =>
        withRedfish({ ...opts(b), password: "wrong-password" }, async () => undefined),
      );
      assert.match(
        e.message,
        new RegExp(
          `Redfish service ${b.endpoint.replace(/[.]/g, "\\.")} refused the credentials of user "root" \\(401\\)`,
        ),
      );
      assert.match(
        e.message,
        sessions
          ? /Base\.1\.8\.NoValidSession: There is no valid session/
          : /Base\.1\.8\.InsufficientPrivilege/,
      );
      assert.ok(!e.message.includes("wrong-password"));
      assert.match(e.hint ?? "", /check username and password/);
    }
  });

  it("follows a task to its end and fails with the task's messages", async () => {
    const b = await bmcWith({ insertTask: "fail", taskPolls: 2 });
    const e = await failure(() =>
      withRedfish(opts(b), async (c) =>
        bootImage(c, await c.resolveSystem(), { method: "virtualMedia", url: ISO }, fast),
      ),
    );
    assert.match(
      e.message,
      /^inserting virtual media into \/redfish\/v1\/Systems\/1\/VirtualMedia\/Cd: Redfish task \/redfish\/v1\/TaskService\/Tasks\/\d+ on http:\/\/127\.0\.0\.1:\d+ ended Exception \(Critical\)/,
    );
    assert.match(
      e.message,
      /Base\.1\.8\.ResourceAtUriUnauthorized: While accessing the resource at http:\/\/images\.example\/x\.iso/,
    );
    assert.match(e.message, /resolution: Ensure that the appropriate access is provided/);
    const polls = b.requests.filter((r) =>
      r.path.startsWith("/redfish/v1/TaskService/TaskMonitors/"),
    );
    assert.equal(polls.length, 3, "two polls while running, one with the outcome");
    assert.equal(b.systems.get("1")!.power, "Off", "not powered on after the failure");
    assert.deepEqual(b.openSessions(), []);
  });

  it("waits for a task that completes, then goes on", async () => {
    const b = await bmcWith({ insertTask: "ok", taskPolls: 3 });
    await withRedfish(opts(b), async (c) =>
      bootImage(c, await c.resolveSystem(), { method: "virtualMedia", url: ISO }, fast),
    );
    assert.equal(b.requests.filter((r) => r.path.includes("/TaskMonitors/")).length, 4);
    assert.equal(b.systems.get("1")!.power, "On");
  });

  it("re-images in place with one eject, one insert, one boot override and one restart", async () => {
    const b = await bmcWith();
    await withRedfish(opts(b), async (c) =>
      bootImage(c, "/redfish/v1/Systems/1", { method: "virtualMedia", url: ISO }, fast),
    );
    const from = b.requests.length;
    await withRedfish(opts(b), async (c) =>
      reimage(
        c,
        "/redfish/v1/Systems/1",
        { method: "virtualMedia", url: `${ISO}?v3` },
        "GracefulRestart",
        fast,
      ),
    );
    const changes = b.requests
      .slice(from)
      .filter((r) => r.method === "POST" || r.method === "PATCH")
      .filter((r) => !r.path.includes("SessionService"))
      .map((r) => `${r.method} ${r.path.replace("/redfish/v1/Systems/1", "")}`);
    assert.deepEqual(changes, [
      "POST /VirtualMedia/Cd/Actions/VirtualMedia.EjectMedia",
      "POST /VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia",
      "PATCH ",
      "POST /Actions/ComputerSystem.Reset",
    ]);
    assert.equal(b.systems.get("1")!.image, `${ISO}?v3`);
  });

  it("sets UEFI HTTP boot and PXE overrides, and releases (eject, power off)", async () => {
    const b = await bmcWith();
    await withRedfish(opts(b), async (c) => {
      await bootImage(
        c,
        "/redfish/v1/Systems/1",
        { method: "http", url: "http://images.example/web.efi.iso" },
        fast,
      );
      assert.deepEqual(b.systems.get("1")!.boot, {
        BootSourceOverrideTarget: "UefiHttp",
        BootSourceOverrideEnabled: "Once",
        BootSourceOverrideMode: "UEFI",
        HttpBootUri: "http://images.example/web.efi.iso",
      });
      await bootImage(c, "/redfish/v1/Systems/1", { method: "pxe" }, fast);
      assert.deepEqual(b.systems.get("1")!.boot, {
        BootSourceOverrideTarget: "Pxe",
        BootSourceOverrideEnabled: "Once",
      });
      await c.insertMedia(await c.virtualCd("/redfish/v1/Systems/1"), ISO);
      await release(c, "/redfish/v1/Systems/1", "virtualMedia", false, fast);
    });
    assert.equal(b.systems.get("1")!.power, "Off");
    assert.equal(b.systems.get("1")!.inserted, false);
  });

  it("puts the BMC's @Message.ExtendedInfo (id, message, resolution) in an action's error", async () => {
    const b = await bmcWith();
    const e = await failure(() =>
      withRedfish(opts(b), (c) =>
        c.setBootOnce("/redfish/v1/Systems/1", { target: "Floppy" as "Cd" }),
      ),
    );
    assert.match(e.message, /answered PATCH \/redfish\/v1\/Systems\/1 with 400 Bad Request/);
    assert.match(
      e.message,
      /Base\.1\.8\.PropertyValueNotInList: The value 'Floppy' for the property BootSourceOverrideTarget is not in the list/,
    );
    assert.match(e.message, /resolution: Choose a value from the enumeration list/);
    assert.equal(e.messages[0]?.MessageId, "Base.1.8.PropertyValueNotInList");
  });

  it("asks which system when there are several, and refuses a reset type the system does not allow", async () => {
    const b = await bmcWith({ systems: ["node-a", "node-b"], resetTypes: ["On", "ForceOff"] });
    const e = await failure(() => withRedfish(opts(b), (c) => c.resolveSystem()));
    assert.match(e.message, /has 2 systems \(node-a, node-b\): say which one with systemId/);
    const r = await failure(() =>
      withRedfish(opts(b), async (c) => c.reset(await c.resolveSystem("node-b"), "ForceRestart")),
    );
    assert.match(r.message, /does not allow ResetType ForceRestart; it allows On, ForceOff/);
  });

  it("does not follow a redirect to another origin", async () => {
    const b = await bmcWith({
      sessions: false,
      redirectSystemsTo: "http://evil.example/redfish/v1/Systems",
    });
    const e = await failure(() => withRedfish(opts(b), async () => undefined));
    assert.match(e.message, /pointed to http:\/\/evil\.example, another origin: refused/);
  });

  it("refuses an endpoint that carries credentials", async () => {
    const e = await failure(() =>
      withRedfish(
        { endpoint: `https://root:${PASSWORD}@bmc.example`, username: USER, password: PASSWORD },
        async () => undefined,
      ),
    );
    assert.match(e.message, /must not carry a user or password/);
  });

  describe("over TLS with a self-signed certificate", () => {
    let dir: string;
    let tls: { key: string; cert: string };
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), "lk-redfish-tls-"));
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
          "-addext",
          "subjectAltName=IP:127.0.0.1",
          "-keyout",
          path.join(dir, "key.pem"),
          "-out",
          path.join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
      );
      tls = {
        key: await readFile(path.join(dir, "key.pem"), "utf8"),
        cert: await readFile(path.join(dir, "cert.pem"), "utf8"),
      };
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("verifies the certificate by default and says how to trust it", async () => {
      const b = await bmcWith({ tls });
      const e = await failure(() => withRedfish(opts(b), async () => undefined));
      assert.match(e.message, /self[- ]signed certificate/);
      assert.match(e.hint ?? "", /caCertificate, or set insecureTls: true/);
      assert.equal(b.requests.length, 0, "nothing was sent");
    });

    it("connects with the CA given, or with insecureTls", async () => {
      const b = await bmcWith({ tls });
      await withRedfish(opts(b, { caCertificate: tls.cert }), async (c) =>
        assert.equal(await c.resolveSystem(), "/redfish/v1/Systems/1"),
      );
      await withRedfish(opts(b, { insecureTls: true }), async (c) =>
        assert.equal(c.authKind, "session"),
      );
      assert.deepEqual(b.openSessions(), []);
    });
  });
});

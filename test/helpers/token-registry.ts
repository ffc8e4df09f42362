/**
 * Token authentication as the distribution token spec describes it, around
 * a real Debian `docker-registry`: the registry is configured with
 * `auth: token` (realm, service, issuer, a root certificate), and this
 * token service issues RS256 JWTs signed with that certificate's key (the
 * certificate in the `x5c` header), granting the scope asked for to a
 * client that sends the right Basic credentials, and nothing to others.
 */
import { execFile } from "node:child_process";
import { randomBytes, sign } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { TestRegistry } from "./registry";

const run = promisify(execFile);
const SERVICE = "lk-test-registry";
const ISSUER = "lk-test-token-issuer";

function b64url(data: Buffer | string): string {
  return Buffer.from(data)
    .toString("base64")
    .replace(/=+$/, "")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}

export class TokenRegistry {
  /** Token requests seen: the scope and whether credentials were right. */
  readonly tokenRequests: { scope: string; authorized: boolean }[] = [];

  private constructor(
    readonly registry: TestRegistry,
    private readonly server: http.Server,
    private readonly dir: string,
  ) {}

  get host(): string {
    return this.registry.host;
  }

  static async start(username: string, password: string): Promise<TokenRegistry> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lk-token-"));
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      "/CN=lk-test-token",
    ]);
    const keyPem = await readFile(key, "utf8");
    const certDer = (await readFile(cert, "utf8")).replace(/-----[^-]+-----|\s/g, "");
    const holder: { self?: TokenRegistry } = {};
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const scope = url.searchParams.get("scope") ?? "";
      const given = req.headers.authorization ?? "";
      const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
      const authorized = given === expected;
      holder.self?.tokenRequests.push({ scope, authorized });
      if (given !== "" && !authorized) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }));
        return;
      }
      const access = [];
      const m = /^repository:([^:]+):(.+)$/.exec(scope);
      if (authorized && m)
        access.push({ type: "repository", name: m[1], actions: m[2]!.split(",") });
      const now = Math.floor(Date.now() / 1000);
      const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", x5c: [certDer] }));
      const claims = b64url(
        JSON.stringify({
          iss: ISSUER,
          sub: authorized ? username : "",
          aud: SERVICE,
          exp: now + 300,
          nbf: now - 10,
          iat: now,
          jti: randomBytes(8).toString("hex"),
          access,
        }),
      );
      const signature = b64url(sign("sha256", Buffer.from(`${header}.${claims}`), keyPem));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ token: `${header}.${claims}.${signature}`, expires_in: 300 }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    const registry = await TestRegistry.start({
      authSection: `auth:\n  token:\n    realm: ${realm}\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n    rootcertbundle: ${cert}\n`,
    });
    holder.self = new TokenRegistry(registry, server, dir);
    return holder.self;
  }

  /** A Bearer token for pushing to `repo` (as a client would get one). */
  async pushHeaders(
    repo: string,
    username: string,
    password: string,
  ): Promise<Record<string, string>> {
    const probe = await fetch(`http://${this.host}/v2/`);
    const realm = /realm="([^"]+)"/.exec(probe.headers.get("www-authenticate") ?? "")![1]!;
    const res = await fetch(`${realm}?service=${SERVICE}&scope=repository:${repo}:pull,push`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`,
      },
    });
    const { token } = (await res.json()) as { token: string };
    return { authorization: `Bearer ${token}` };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
    await this.registry.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

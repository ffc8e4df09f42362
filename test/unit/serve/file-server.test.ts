import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { startFileServer, type FileServer } from "../../../components/serve/file-server";

/** A raw GET (fetch would normalise `..` away before sending). */
function rawGet(url: string, rawPath: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: rawPath }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("startFileServer", () => {
  let dir: string;
  let outside: string;
  let server: FileServer;
  const logged: string[] = [];

  before(async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), "lk-serve-"));
    dir = path.join(base, "site");
    outside = path.join(base, "secret.txt");
    await mkdir(path.join(dir, "v1"), { recursive: true });
    await writeFile(path.join(dir, "v1", "web-equinixmetal.ipxe"), "#!ipxe\n\ndhcp\nboot");
    await writeFile(path.join(dir, "v1", "web-kernel"), Buffer.alloc(70_000, 7));
    await writeFile(outside, "do not serve");
    await symlink(outside, path.join(dir, "escape"));
    // What a program folder holds besides the artifacts (issue 19, finding 4).
    await writeFile(path.join(dir, "Pulumi.dev.yaml"), "config:\n  x:secure: v1:abc\n");
    await writeFile(path.join(dir, "Pulumi.yaml"), "name: x\n");
    await mkdir(path.join(dir, ".linuxkit", "state"), { recursive: true });
    await writeFile(path.join(dir, ".linuxkit", "state", "fleet.json"), "{}");
    await mkdir(path.join(dir, ".linuxkit-tmp-abc"), { recursive: true });
    await writeFile(path.join(dir, ".linuxkit-tmp-abc", "rootfs.tar"), "half a build");
    await writeFile(path.join(dir, ".env"), "TOKEN=x");
    await writeFile(path.join(dir, "v1", "javascript:alert(1)"), "x");
    await mkdir(path.join(dir, "evil.example"), { recursive: true });
    server = await startFileServer({ dir, port: 0, host: "127.0.0.1", log: (l) => logged.push(l) });
  });
  after(async () => {
    await server.close();
    await rm(path.dirname(dir), { recursive: true, force: true });
  });

  it("serves files byte for byte with their length", async () => {
    const res = await fetch(`${server.url}/v1/web-kernel`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), "70000");
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), Buffer.alloc(70_000, 7));
    const script = await fetch(`${server.url}/v1/web-equinixmetal.ipxe`);
    assert.equal(await script.text(), "#!ipxe\n\ndhcp\nboot");
    assert.match(script.headers.get("content-type") ?? "", /^text\/plain/);
  });

  it("HEAD gives the length without a body", async () => {
    const res = await fetch(`${server.url}/v1/web-kernel`, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), "70000");
  });

  it("lists folders", async () => {
    const res = await fetch(`${server.url}/v1/`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /href="\.\/web-kernel"/);
    assert.match(html, /href="\.\/web-equinixmetal.ipxe"/);
    assert.equal((await fetch(`${server.url}/v1`, { redirect: "manual" })).status, 301);
  });

  it("gives 404 for missing files and never anything outside the folder", async () => {
    assert.equal((await fetch(`${server.url}/v2/nothing`)).status, 404);
    for (const p of ["/../secret.txt", "/v1/../../secret.txt", "/%2e%2e/secret.txt", "/escape"]) {
      const res = await rawGet(server.url, p);
      assert.notEqual(res.status, 200, p);
      assert.ok(!res.body.includes("do not serve"), p);
    }
  });

  it("never serves nor lists dotfiles, Pulumi stack files or a build's scratch (issue 19)", async () => {
    for (const p of [
      "/.env",
      "/.linuxkit/state/fleet.json",
      "/.linuxkit/",
      "/.linuxkit-tmp-abc/rootfs.tar",
      "/Pulumi.dev.yaml",
      "/Pulumi.yaml",
      "/%2elinuxkit/state/fleet.json",
      "/v1/../.env",
    ]) {
      const res = await rawGet(server.url, p);
      assert.equal(res.status, 404, p);
    }
    const listing = await (await fetch(`${server.url}/`)).text();
    assert.match(listing, /v1\//);
    for (const hidden of [".env", ".linuxkit", "Pulumi.dev.yaml", "Pulumi.yaml", "rootfs"]) {
      assert.ok(!listing.includes(hidden), `${hidden} is not listed`);
    }
  });

  it("a folder's redirect never leaves the server (no open redirect)", async () => {
    for (const p of ["/x/..//evil.example", "//evil.example", "/v1/..//evil.example"]) {
      const res = await new Promise<{ status: number; location?: string }>((resolve, reject) => {
        const u = new URL(server.url);
        const req = request({ host: u.hostname, port: u.port, path: p }, (r) => {
          r.resume();
          resolve({ status: r.statusCode ?? 0, location: r.headers.location });
        });
        req.on("error", reject);
        req.end();
      });
      if (res.location !== undefined) {
        assert.match(
          res.location,
          /^\/[^/\\]/,
          `${p} redirects within the server: ${res.location}`,
        );
      }
    }
  });

  it("a file named like a URL scheme is listed as a relative link", async () => {
    const html = await (await fetch(`${server.url}/v1/`)).text();
    assert.match(html, /href="\.\/javascript%3Aalert\(1\)"/);
    assert.ok(!/href="javascript:/i.test(html));
  });

  it("refuses other methods and logs every request", async () => {
    assert.equal((await fetch(`${server.url}/v1/web-kernel`, { method: "PUT" })).status, 405);
    assert.ok(logged.includes("GET /v1/web-kernel 200"), logged.join("\n"));
    assert.ok(logged.includes("PUT /v1/web-kernel 405"));
  });
});

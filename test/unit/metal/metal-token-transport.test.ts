/**
 * The Metal token goes only to the API root it was given (issue 19,
 * finding 3): a redirect, to another origin or not, is refused without
 * being followed (fetch's default would send `X-Auth-Token` on to the new
 * host on a 307), and a plain-http API root is refused unless it is on
 * this machine's loopback.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";

import { MetalApiError, MetalClient } from "../../../components/metal/metal-client";

/** A server that records the token header of every request and answers with `handle`. */
async function server(
  handle: (path: string) => { status: number; headers?: Record<string, string> },
): Promise<{ url: string; tokens: (string | undefined)[]; close: () => Promise<void> }> {
  const tokens: (string | undefined)[] = [];
  const s: Server = createServer((req, res) => {
    tokens.push(req.headers["x-auth-token"] as string | undefined);
    const a = handle(req.url ?? "/");
    res.writeHead(a.status, a.headers ?? {}).end(a.status === 200 ? "{}" : "");
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    tokens,
    close: () => new Promise((r) => s.close(() => r())),
  };
}

describe("the Metal token's transport", () => {
  let evil: Awaited<ReturnType<typeof server>>;
  let api: Awaited<ReturnType<typeof server>>;

  before(async () => {
    evil = await server(() => ({ status: 200 }));
    api = await server((p) => ({ status: 307, headers: { Location: `${evil.url}${p}` } }));
  });
  after(async () => {
    await evil.close();
    await api.close();
  });

  it("a 307 to another origin is refused and never followed: the token stays home", async () => {
    const client = new MetalClient({
      apiUrl: `${api.url}/metal/v1`,
      authToken: "tok-secret",
      retry: { attempts: 1 },
    });
    const err = await client.getDevice("d1").then(
      () => assert.fail("a redirect must not be followed"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof MetalApiError);
    assert.match(err.message, /redirect/i);
    assert.match(err.hint ?? "", /apiUrl/);
    assert.ok(!err.message.includes("tok-secret"));
    assert.deepEqual(evil.tokens, [], "the other origin got no request at all");
    assert.deepEqual(api.tokens, ["tok-secret"]);
  });

  it("a plain-http API root is refused unless it is loopback", () => {
    assert.throws(
      () => new MetalClient({ apiUrl: "http://api.example.com/metal/v1", authToken: "t" }),
      (e: MetalApiError) => /https/.test(e.message) && /apiUrl/.test(e.hint ?? ""),
    );
    for (const ok of [
      "https://api.example.com/metal/v1",
      "http://127.0.0.1:8080/metal/v1",
      "http://localhost:1/v1",
      "http://[::1]:1/v1",
    ]) {
      assert.equal(new MetalClient({ apiUrl: ok, authToken: "t" }).apiUrl, ok);
    }
  });
});

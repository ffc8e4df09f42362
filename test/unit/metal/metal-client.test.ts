import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import {
  MetalApiError,
  MetalClient,
  MetalWaitError,
  publicIpv4,
  retryAfterMs,
} from "../../../components/metal/metal-client";
import { startFakeMetalApi, type FakeMetalApi } from "../../helpers/fake-metal-api";

const PROJECT = "9f2b5a44-0000-4000-8000-000000000001";
const CREATE = {
  hostname: "web-1",
  plan: "c3.small.x86",
  metro: "da",
  operating_system: "custom_ipxe" as const,
  ipxe_script_url: "https://example.com/web-equinixmetal.ipxe",
  always_pxe: true,
  userdata: "#!/bin/sh\necho hi",
  tags: ["linuxkit"],
};

/** Asserts `p` rejects with a MetalApiError and returns it. */
async function apiError(p: Promise<unknown>): Promise<MetalApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MetalApiError, `expected MetalApiError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a rejection");
}

describe("MetalClient against the fake Metal API", () => {
  let api: FakeMetalApi;
  let client: MetalClient;

  before(async () => {
    api = await startFakeMetalApi({
      advance: "gets",
      projects: [PROJECT, "forbidden-project"],
      forbiddenProjects: ["forbidden-project"],
    });
    client = new MetalClient({
      apiUrl: api.apiUrl,
      authToken: api.token,
      retry: { attempts: 4, baseDelayMs: 20 },
    });
  });
  after(() => api.close());

  it("creates a custom_ipxe device with the API's field names and waits for active", async () => {
    const created = await client.createDevice(PROJECT, CREATE);
    assert.equal(created.state, "queued");
    assert.equal(created.hostname, "web-1");
    const post = api.calls("POST", /^\/projects\/[^/]+\/devices$/).at(-1)!;
    assert.equal(post.path, `/projects/${PROJECT}/devices`);
    assert.deepEqual(post.body, CREATE);
    assert.equal(post.hadToken, true);

    const active = await client.waitForState(created.id, ["active"], {
      timeoutMs: 5000,
      pollMs: 5,
    });
    assert.equal(active.state, "active");
    assert.equal(active.ipxe_script_url, CREATE.ipxe_script_url);
    assert.equal(active.always_pxe, true);
    assert.equal(active.plan?.slug, "c3.small.x86");
    assert.equal(active.metro?.code, "da");
    assert.match(publicIpv4(active) ?? "", /^147\.75\.\d+\.\d+$/);
    const polls = api.calls("GET", new RegExp(`^/devices/${created.id}$`));
    // queued (create) → provisioning (1st GET) → active (2nd GET)
    assert.equal(polls.length, 2, "polled until active, then stopped");
    assert.ok(polls.every((r) => r.status === 200));
  });

  it("updates ipxe_script_url with PUT and reboots with a reboot action", async () => {
    const d = await client.createDevice(PROJECT, CREATE);
    await client.waitForState(d.id, ["active"], { timeoutMs: 5000, pollMs: 5 });
    const updated = await client.updateDevice(d.id, {
      ipxe_script_url: "https://example.com/v2.ipxe",
      always_pxe: true,
    });
    assert.equal(updated.ipxe_script_url, "https://example.com/v2.ipxe");
    await client.rebootDevice(d.id);
    assert.deepEqual(api.calls("PUT", new RegExp(`^/devices/${d.id}$`)).at(-1)?.body, {
      ipxe_script_url: "https://example.com/v2.ipxe",
      always_pxe: true,
    });
    assert.deepEqual(api.calls("POST", new RegExp(`^/devices/${d.id}/actions$`)).at(-1)?.body, {
      type: "reboot",
    });
    const after = await client.getDevice(d.id);
    assert.notEqual(after?.state, "active", "a rebooting device is not active right away");
    const back = await client.waitForState(d.id, ["active"], { timeoutMs: 5000, pollMs: 5 });
    assert.equal(back.id, d.id);
  });

  it("getDevice gives undefined for an unknown device; deleteDevice of a gone device succeeds", async () => {
    assert.equal(await client.getDevice("00000000-0000-0000-0000-000000000000"), undefined);
    const d = await client.createDevice(PROJECT, CREATE);
    await client.deleteDevice(d.id);
    assert.equal(await client.getDevice(d.id), undefined);
    await client.deleteDevice(d.id);
    assert.equal(api.calls("DELETE", new RegExp(`^/devices/${d.id}$`)).at(-1)?.status, 404);
  });

  it("updateDevice of an unknown device is a 404 error with the API's message", async () => {
    const e = await apiError(client.updateDevice("nope", { always_pxe: true }));
    assert.equal(e.status, 404);
    assert.deepEqual(e.apiErrors, ["Not found"]);
  });

  it("honours Retry-After on 429 and then succeeds", async () => {
    api.inject({ status: 429, retryAfter: 1, match: (m, p) => m === "GET" && p === "/devices/x" });
    const t0 = Date.now();
    assert.equal(await client.getDevice("x"), undefined);
    const waited = Date.now() - t0;
    assert.ok(waited >= 950, `waited ${waited} ms, Retry-After said 1 s`);
    const tries = api.calls("GET", /^\/devices\/x$/).map((r) => r.status);
    assert.deepEqual(tries.slice(-2), [429, 404]);
  });

  it("retries 5xx with backoff, then gives up with the API's message", async () => {
    api.inject({ status: 503, times: 2, match: (_m, p) => p === "/devices/y" });
    assert.equal(await client.getDevice("y"), undefined);
    assert.deepEqual(
      api.calls("GET", /^\/devices\/y$/).map((r) => r.status),
      [503, 503, 404],
    );
    api.inject({
      status: 500,
      times: 10,
      errors: ["internal trouble"],
      match: (_m, p) => p === "/devices/z",
    });
    const e = await apiError(client.getDevice("z"));
    assert.equal(e.status, 500);
    assert.equal(api.calls("GET", /^\/devices\/z$/).length, 4, "attempts: 4");
    assert.match(e.message, /GET \/devices\/z failed with HTTP 500: internal trouble/);
  });

  it("401 without a token and with a wrong token: the API's message and a hint, token nowhere", async () => {
    const secret = "s3cr3t-wrong-token-value";
    const wrong = new MetalClient({
      apiUrl: api.apiUrl,
      authToken: secret,
      retry: { attempts: 3 },
    });
    const before = api.requests.length;
    const e = await apiError(wrong.createDevice(PROJECT, CREATE));
    assert.equal(e.status, 401);
    assert.equal(e.code, "METAL_API");
    assert.deepEqual(e.apiErrors, ["Invalid authentication token"]);
    assert.match(e.message, /Invalid authentication token/);
    assert.match(e.hint ?? "", /METAL_AUTH_TOKEN/);
    assert.equal(api.requests.length - before, 1, "401 is not retried");
    const all = `${e.message} ${e.hint} ${e.describe()} ${JSON.stringify(e)} ${e.stack}`;
    assert.ok(!all.includes(secret));

    const none = new MetalClient({ apiUrl: api.apiUrl, authToken: "" });
    const e2 = await apiError(none.getDevice("anything"));
    assert.equal(e2.status, 401);
    assert.equal(api.requests.at(-1)?.hadToken, true, "an empty header is still sent");
    assert.ok(!JSON.stringify(api.requests).includes(secret), "the fake never logs the token");
  });

  it("a token echoed in an error body is scrubbed", async () => {
    api.inject({ status: 422, errors: [`token ${api.token} cannot do that`] });
    const e = await apiError(client.getDevice("echo"));
    assert.ok(!e.message.includes(api.token));
    assert.match(e.message, /token \[redacted\] cannot do that/);
  });

  it("403 on a forbidden project", async () => {
    const e = await apiError(client.createDevice("forbidden-project", CREATE));
    assert.equal(e.status, 403);
    assert.deepEqual(e.apiErrors, ["You are not authorized to view this project"]);
    assert.match(e.hint ?? "", /project/);
  });

  it("422 on an unknown plan carries the API's errors and is not retried", async () => {
    const before = api.requests.length;
    const e = await apiError(client.createDevice(PROJECT, { ...CREATE, plan: "z9.huge" }));
    assert.equal(e.status, 422);
    assert.deepEqual(e.apiErrors, ['Plan "z9.huge" is not a valid plan']);
    assert.match(e.describe(), /Plan "z9.huge" is not a valid plan\n {2}hint: .*plan/);
    assert.equal(api.requests.length - before, 1);
  });

  it("waitForState: failed, gone and timeout are MetalWaitErrors with the last device", async () => {
    const d = await client.createDevice(PROJECT, CREATE);
    api.setState(d.id, "failed");
    await assert.rejects(
      client.waitForState(d.id, ["active"], { timeoutMs: 2000, pollMs: 5 }),
      (e: unknown) =>
        e instanceof MetalWaitError && e.reason === "failed" && e.device?.state === "failed",
    );
    const held = await client.createDevice(PROJECT, CREATE);
    api.hold(held.id, "provisioning");
    await assert.rejects(
      client.waitForState(held.id, ["active"], { timeoutMs: 200, pollMs: 20 }),
      (e: unknown) =>
        e instanceof MetalWaitError && e.reason === "timeout" && /provisioning/.test(e.message),
    );
    api.deleteBehindBack(held.id);
    await assert.rejects(
      client.waitForState(held.id, ["active"], { timeoutMs: 200, pollMs: 20 }),
      (e: unknown) => e instanceof MetalWaitError && e.reason === "gone",
    );
  });

  it("an unreachable API is retried, then named in the error", async () => {
    const gone = new MetalClient({
      apiUrl: "http://127.0.0.1:9/metal/v1",
      authToken: "tok-unreachable-123",
      retry: { attempts: 2, baseDelayMs: 5 },
    });
    const e = await apiError(gone.getDevice("a"));
    assert.equal(e.status, 0);
    assert.match(e.hint ?? "", /127\.0\.0\.1:9/);
    assert.ok(!`${e.message}${e.hint}`.includes("tok-unreachable-123"));
  });
});

describe("MetalClient.rebootAndAwaitDown against an API slow to show the reboot", () => {
  let api: FakeMetalApi;
  let client: MetalClient;

  before(async () => {
    // The device still reads `active` for two GETs after the reboot is accepted.
    api = await startFakeMetalApi({
      advance: "gets",
      projects: [PROJECT],
      rebootStates: ["active", "active", "powering_off", "powering_on"],
    });
    client = new MetalClient({ apiUrl: api.apiUrl, authToken: api.token });
  });
  after(() => api.close());

  it("waits until the device leaves active, so a wait for active that follows means the new boot", async () => {
    const d = await client.createDevice(PROJECT, CREATE);
    await client.waitForState(d.id, ["active"], { timeoutMs: 5000, pollMs: 5 });
    const seen = await client.rebootAndAwaitDown(d.id, { graceMs: 5000, pollMs: 5 });
    assert.equal(seen, "powering_off");
    const after = await client.waitForState(d.id, ["active"], { timeoutMs: 5000, pollMs: 5 });
    assert.equal(after.state, "active");
    const gets = api.calls("GET", new RegExp(`^/devices/${d.id}$`)).length;
    assert.ok(gets >= 5, `the reboot's states were all walked through (${gets} GETs)`);
  });

  it("takes a reboot the API never shows within the grace period as done", async () => {
    const d = await client.createDevice(PROJECT, { ...CREATE, hostname: "web-2" });
    await client.waitForState(d.id, ["active"], { timeoutMs: 5000, pollMs: 5 });
    api.hold(d.id, "active");
    const started = Date.now();
    assert.equal(await client.rebootAndAwaitDown(d.id, { graceMs: 200, pollMs: 20 }), undefined);
    assert.ok(Date.now() - started >= 200);
  });
});

describe("retryAfterMs", () => {
  it("reads delta-seconds and HTTP dates, and caps at 5 minutes", () => {
    assert.equal(retryAfterMs("2"), 2000);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs("soon"), undefined);
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(retryAfterMs("Thu, 01 Jan 2026 00:00:10 GMT", now), 10_000);
    assert.equal(retryAfterMs("86400"), 300_000);
  });
});

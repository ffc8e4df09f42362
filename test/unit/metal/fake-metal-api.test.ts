/**
 * The fake Metal API keeps to the published API where the client tests
 * cannot see it: 401 without any X-Auth-Token header, the error body shape,
 * the state walk on GETs, the chain script, holding a device, and a
 * request log without the token.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { startFakeMetalApi, type FakeMetalApi } from "../../helpers/fake-metal-api";

let api: FakeMetalApi;
const auth = (): Record<string, string> => ({ "X-Auth-Token": api.token });

before(async () => {
  api = await startFakeMetalApi({ advance: "gets", getsPerStep: 2 });
});
after(() => api.close());

async function create(body: Record<string, unknown>): Promise<Response> {
  return fetch(`${api.apiUrl}/projects/p/devices`, {
    method: "POST",
    headers: { ...auth(), "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("fake Metal API", () => {
  it("401 with the API's error body when no token header is sent at all", async () => {
    const res = await fetch(`${api.apiUrl}/devices/x`);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { errors: ["Invalid authentication token"] });
    assert.equal(api.requests.at(-1)?.hadToken, false);
  });

  it("walks queued → provisioning → active, one step per getsPerStep GETs", async () => {
    const res = await create({
      plan: "c3.small.x86",
      metro: "da",
      operating_system: "custom_ipxe",
      ipxe_script_url: "http://h/s.ipxe",
      always_pxe: true,
    });
    assert.equal(res.status, 201);
    const d = (await res.json()) as { id: string; state: string; hostname: string };
    assert.equal(d.state, "queued");
    assert.match(d.hostname, /^dev-/);
    const states: string[] = [];
    for (let i = 0; i < 4; i++) {
      const g = await fetch(`${api.apiUrl}/devices/${d.id}`, { headers: auth() });
      states.push(((await g.json()) as { state: string }).state);
    }
    assert.deepEqual(states, ["queued", "provisioning", "provisioning", "active"]);

    const chain = await fetch(`http://127.0.0.1:${api.port}${api.chainPath(d.id)}`);
    assert.equal(await chain.text(), "#!ipxe\nchain http://h/s.ipxe\n");

    api.hold(d.id, "provisioning");
    for (let i = 0; i < 3; i++) await fetch(`${api.apiUrl}/devices/${d.id}`, { headers: auth() });
    assert.equal(api.devices.get(d.id)?.state, "provisioning", "held");
    api.release(d.id);
    api.setState(d.id, "active");
    assert.equal(api.devices.get(d.id)?.state, "active");
  });

  it("422 lists every problem; custom_ipxe needs a script URL", async () => {
    const res = await create({ plan: "nope", metro: "zz", operating_system: "custom_ipxe" });
    assert.equal(res.status, 422);
    assert.deepEqual(await res.json(), {
      errors: [
        'Plan "nope" is not a valid plan',
        'Metro "zz" is not a valid metro',
        "ipxe_script_url is required when operating system is custom_ipxe",
      ],
    });
  });

  it("injected 429 carries Retry-After; the log never holds the token", async () => {
    api.inject({ status: 429, retryAfter: 7 });
    const res = await fetch(`${api.apiUrl}/devices/y`, { headers: auth() });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "7");
    assert.ok(!JSON.stringify(api.requests).includes(api.token));
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  deviceDiff,
  inputFailures,
  normaliseInputs,
  type MetalDeviceOutputs,
} from "../../../../components/pulumi/metal/metal-device-inputs";
import { UNKNOWN } from "../../../../components/pulumi/dynamic/unknowns";

const BASE = normaliseInputs({
  projectId: "p",
  plan: "c3.small.x86",
  metro: "da",
  ipxeScriptUrl: "https://h/v1/x-equinixmetal.ipxe",
  hostname: "web",
});
const OLDS: MetalDeviceOutputs = { ...BASE, deviceId: "d", state: "active" };

describe("MetalDevice diff", () => {
  it("same inputs: no change", () => {
    assert.deepEqual(deviceDiff(OLDS, BASE), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });
  for (const key of ["projectId", "plan", "metro"] as const) {
    it(`${key} replaces the machine`, () => {
      const d = deviceDiff(OLDS, { ...BASE, [key]: "other" });
      assert.deepEqual(d.replaces, [key]);
      assert.equal(d.changes, true);
    });
  }
  const inPlace = {
    ipxeScriptUrl: "https://h/v2/x-equinixmetal.ipxe",
    userData: "#cloud-config",
    hostname: "web2",
    tags: ["a"],
    alwaysPxe: false,
    billingCycle: "monthly",
    apiUrl: "http://127.0.0.1:1/metal/v1",
    timeoutSeconds: 60,
  };
  for (const [key, value] of Object.entries(inPlace)) {
    it(`${key} is an in-place update`, () => {
      assert.deepEqual(deviceDiff(OLDS, { ...BASE, [key]: value }), {
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
    });
  }
  it("a new token alone changes nothing (it is never stored)", () => {
    assert.equal(deviceDiff(OLDS, { ...BASE, authToken: "new" }).changes, false);
  });
  it("a device that failed to provision is replaced", () => {
    assert.deepEqual(deviceDiff({ ...OLDS, state: "failed" }, BASE).replaces, ["state"]);
  });
});

describe("MetalDevice checks", () => {
  it("defaults: alwaysPxe on, 30 min timeout, 10 s polls", () => {
    assert.equal(BASE.alwaysPxe, true);
    assert.equal(BASE.timeoutSeconds, 1800);
    assert.equal(BASE.pollSeconds, 10);
  });
  it("the required fields and the URL shape", () => {
    const f = inputFailures(normaliseInputs({ ipxeScriptUrl: "ftp://x" }));
    assert.deepEqual(
      f.map((x) => x.property),
      ["projectId", "plan", "metro", "ipxeScriptUrl"],
    );
    assert.match(f[3]!.reason, /http\(s\) URL/);
  });
  it("billing cycle and timing", () => {
    const f = inputFailures({
      ...BASE,
      billingCycle: "weekly",
      timeoutSeconds: 0,
      pollSeconds: -1,
    });
    assert.deepEqual(
      f.map((x) => x.property),
      ["billingCycle", "timeoutSeconds", "pollSeconds"],
    );
  });
  it("unknown values (preview) are not judged", () => {
    assert.deepEqual(inputFailures({ ...BASE, ipxeScriptUrl: UNKNOWN, projectId: UNKNOWN }), []);
  });
});

import assert from "node:assert/strict";
import { accessSync, constants } from "node:fs";
import { describe, it } from "node:test";

import { ACCEL_ENV, chooseAccel, type QemuAccelChoice } from "../../../components/qemu/accel";

/** What `auto` must mean on this machine. */
const HOST: "kvm" | "tcg" = (() => {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    return "kvm";
  } catch {
    return "tcg";
  }
})();

describe("chooseAccel", () => {
  it("reads LINUXKIT_QEMU_ACCEL", () => assert.equal(ACCEL_ENV, "LINUXKIT_QEMU_ACCEL"));

  const cases: [string | undefined, QemuAccelChoice | undefined, "kvm" | "tcg"][] = [
    [undefined, "kvm", "kvm"],
    [undefined, "tcg", "tcg"],
    [undefined, "auto", HOST],
    [undefined, undefined, HOST],
    ["tcg", "kvm", "tcg"],
    ["kvm", "tcg", "kvm"],
    [" TCG ", "kvm", "tcg"],
    ["Kvm", "auto", "kvm"],
    ["hvf", "tcg", "tcg"],
    ["", "kvm", "kvm"],
  ];
  for (const [env, choice, expected] of cases) {
    it(`${ACCEL_ENV}=${JSON.stringify(env)} with choice ${choice ?? "(default)"} → ${expected}`, () => {
      const environment: NodeJS.ProcessEnv = env === undefined ? {} : { [ACCEL_ENV]: env };
      assert.equal(chooseAccel(choice, environment), expected);
    });
  }

  it("uses the environment object it is given, not process.env", () => {
    const saved = process.env[ACCEL_ENV];
    process.env[ACCEL_ENV] = "tcg";
    try {
      assert.equal(chooseAccel("kvm", {}), "kvm");
      assert.equal(chooseAccel("kvm", { [ACCEL_ENV]: "tcg" }), "tcg");
    } finally {
      if (saved === undefined) delete process.env[ACCEL_ENV];
      else process.env[ACCEL_ENV] = saved;
    }
  });
});

/**
 * The boot tests' one qemu launcher: it refuses a command line without
 * TCG, captures what qemu prints, waits for a console line with a
 * deadline, and leaves no qemu behind when the deadline passes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { findOnPath } from "../../../components/formats/blocks/tools";
import { launchQemu, runQemuUntilExit, selectsTcg, withQemu } from "../../helpers/qemu-launch";

/** A machine with nothing to boot: SeaBIOS loops for ever, printing nothing on the serial port. */
const IDLE = [
  "-accel",
  "tcg",
  "-display",
  "none",
  "-nodefaults",
  "-serial",
  "stdio",
  "-monitor",
  "none",
];

describe("qemu launcher", () => {
  it("knows TCG from -accel and -machine accel=, and refuses to start without it", () => {
    assert.equal(selectsTcg(["-accel", "tcg"]), true);
    assert.equal(selectsTcg(["-accel", "tcg,thread=single"]), true);
    assert.equal(selectsTcg(["-machine", "pc,accel=tcg"]), true);
    assert.equal(selectsTcg(["-machine", "pc,accel=kvm"]), false);
    assert.equal(selectsTcg(["-accel", "kvm", "-m", "tcg"]), false);
    assert.throws(
      () => launchQemu({ args: ["-machine", "pc,accel=kvm"] }),
      /with TCG: add "-accel tcg"/,
    );
  });

  it("captures qemu's output and its exit", async (t) => {
    if ((await findOnPath("qemu-system-x86_64")) === undefined)
      return t.skip("needs qemu-system-x86_64");
    const r = await runQemuUntilExit({ args: ["-accel", "tcg", "-version"] }, 30_000);
    assert.equal(r.code, 0);
    assert.equal(r.timedOut, false);
    assert.match(r.console, /^QEMU emulator version \d/m);
  });

  it("a console line that never comes is an error naming it, and qemu is gone afterwards", async (t) => {
    if ((await findOnPath("qemu-system-x86_64")) === undefined)
      return t.skip("needs qemu-system-x86_64");
    let guest: ReturnType<typeof launchQemu> | undefined;
    await assert.rejects(
      withQemu({ args: IDLE }, async (g) => {
        guest = g;
        await g.waitFor(["never printed"], 300);
      }),
      /after 0.3 s still no console line matching \/never printed\//,
    );
    assert.equal(guest?.hasExited, true, "withQemu stopped qemu");
    assert.equal((await guest!.exited).signal, "SIGKILL");
  });

  it("waitForExit kills a guest that does not power off in time", async (t) => {
    if ((await findOnPath("qemu-system-x86_64")) === undefined)
      return t.skip("needs qemu-system-x86_64");
    const r = await runQemuUntilExit({ args: IDLE }, 300);
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, "SIGKILL");
  });
});

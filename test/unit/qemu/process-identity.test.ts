import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import {
  isSameProcess,
  processCmdline,
  processStartTime,
} from "../../../components/qemu/process-identity";
import { waitUntil } from "../../helpers/wait";

/** The marker this test process's command line certainly holds: its own script. */
const MARKER = path.basename(__filename);

/** Clock ticks since boot now, from /proc/uptime (USER_HZ is 100 on Linux). */
async function ticksNow(): Promise<number> {
  const uptime = Number((await readFile("/proc/uptime", "utf8")).split(" ")[0]);
  return Math.round(uptime * 100);
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.on("exit", r));
  return child.pid!;
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

describe("process identity", () => {
  it("this process is itself: same pid, same start time, marker in its command line", () => {
    const startTime = processStartTime(process.pid);
    assert.equal(typeof startTime, "number");
    assert.ok(processCmdline(process.pid)!.some((a) => a.includes(MARKER)));
    assert.equal(isSameProcess({ pid: process.pid, startTime: startTime! }, MARKER), true);
  });

  it("the same pid with another start time is not the same process (a recycled pid is not mistaken)", () => {
    const startTime = processStartTime(process.pid)!;
    assert.equal(isSameProcess({ pid: process.pid, startTime: startTime + 1 }, MARKER), false);
    assert.equal(isSameProcess({ pid: process.pid, startTime: startTime - 100 }, MARKER), false);
  });

  it("the same pid and start time without the marker in the command line is not the process", () => {
    const startTime = processStartTime(process.pid)!;
    assert.equal(
      isSameProcess({ pid: process.pid, startTime }, "qemu-system-x86_64 -name pulumi-linuxkit-x"),
      false,
    );
  });

  it("a pid that has exited has no start time and is not the process", async () => {
    const pid = await deadPid();
    assert.equal(processStartTime(pid), undefined);
    assert.equal(processCmdline(pid), undefined);
    assert.equal(isSameProcess({ pid, startTime: 1 }, "node"), false);
  });

  it("reads the start time right when the command name holds spaces and parentheses", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lk-proc-"));
    const odd = path.join(dir, "a) b (c");
    await symlink("/bin/sleep", odd);
    const before = await ticksNow();
    const child = spawn(odd, ["30"], { stdio: "ignore" });
    try {
      await new Promise((r) => child.once("spawn", r));
      const stat = (): Promise<string> => readFile(`/proc/${child.pid}/stat`, "utf8");
      await waitUntil(async () => (await stat()).includes("(a) b (c)"), {
        what: "the child to run under its odd name",
      }).catch(() => undefined);
      const comm = (await stat()).slice(0, 40);
      assert.match(comm, /\(a\) b \(c\)/, "the kernel reports the odd name");
      const start = processStartTime(child.pid!);
      const afterTicks = await ticksNow();
      assert.ok(
        start !== undefined && start >= before - 5 && start <= afterTicks + 5,
        `start ${start} within [${before}, ${afterTicks}]`,
      );
      assert.equal(isSameProcess({ pid: child.pid!, startTime: start }, "30"), true);
    } finally {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a zombie (exited, not yet reaped by its parent) is not running", async () => {
    // sh starts `sleep 0` in the background, prints its pid, then becomes `sleep 5`, which never reaps it.
    const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 5"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    try {
      const zombie = Number(
        await new Promise<string>((r) =>
          parent.stdout!.once("data", (c: Buffer) => r(c.toString().trim())),
        ),
      );
      const stateOf = async (): Promise<string | undefined> =>
        (await readFile(`/proc/${zombie}/stat`, "utf8")).split(") ")[1]?.[0];
      await waitUntil(async () => (await stateOf()) === "Z", {
        what: `pid ${zombie} to become a zombie`,
      }).catch(() => undefined);
      const state = await stateOf();
      assert.equal(state, "Z", "the background sleep is a zombie now");
      assert.equal(processStartTime(zombie), undefined);
    } finally {
      await stop(parent);
    }
  });
});

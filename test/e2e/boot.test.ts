/**
 * What the pipeline builds boots and behaves like LinuxKit: each e2e
 * fixture is built with the real pipeline (kernel+initrd from the local
 * `linuxkit-test/*` images), booted under qemu TCG, and its serial console
 * must show the fixture's expectations (test/fixtures/e2e/*.expect.json):
 * onboot containers ran in order and succeeded, services started, files
 * exist with the right modes and contents, nothing failed. A second boot
 * that stays up answers HTTP through a forwarded host port. One more
 * boot goes through the command line, `build` then `run qemu`, as a user
 * would.
 */
import assert from "node:assert/strict";
import { readFile, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { build, type BuildResult } from "../../components/pipeline/pipeline";
import { loadSpecFiles } from "../../components/config";
import {
  bootUntilExit,
  describeExit,
  ensureTestImages,
  freePort,
  httpGetWithRetry,
  killQemuMentioning,
  qemuPidsMentioning,
  startGuest,
  tail,
} from "../helpers/boot";
import { runCli, type CliResult } from "../helpers/cli";
import { fixture } from "../helpers/paths";
import {
  checkConsole,
  consoleLines,
  loadExpectations,
  type ConsoleExpectations,
} from "../images/expect";

const FIXTURES = ["nginx-like", "docker-sshd-like"] as const;

let work: string;

before(async () => {
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-boot-"));
});

after(async () => {
  killQemuMentioning(work);
  await rm(work, { recursive: true, force: true });
});

interface Built {
  kernel: string;
  initrd: string;
  /** What the build wrote to `<name>-cmdline`, as `run qemu` reads it. */
  cmdline: string;
}

async function buildFixture(name: string): Promise<Built> {
  const yml = fixture("e2e", `${name}.yml`);
  const parsed = await loadSpecFiles([yml]);
  const result: BuildResult = await build({
    spec: parsed.spec,
    locations: parsed.locations,
    baseDir: path.dirname(yml),
    name,
    outputDir: path.join(work, name),
    formats: ["kernel+initrd"],
  });
  const file = (suffix: string): string => {
    const a = result.artifacts.find((x) => x.file === `${name}${suffix}`);
    assert.ok(
      a,
      `the build wrote ${name}${suffix} (got ${result.artifacts.map((x) => x.file).join(", ")})`,
    );
    return a.path;
  };
  return {
    kernel: file("-kernel"),
    initrd: file("-initrd.img"),
    cmdline: (await readFile(file("-cmdline"), "utf8")).trim(),
  };
}

/** The console problems as one message, with where to look. */
function report(problems: string[], console: string, consoleFile: string): string {
  return `${problems.length} console problem(s):\n  ${problems.join("\n  ")}\nconsole: ${consoleFile}\n--- last lines ---\n${tail(console)}`;
}

/** Lines matching a forbidden pattern (checkConsole's third rule on its own, for boots that never finish). */
function forbiddenLines(expect: ConsoleExpectations, console: string): string[] {
  const res = expect.forbidden.map((p) => new RegExp(p));
  return consoleLines(console).filter((line) => res.some((re) => re.test(line)));
}

for (const name of FIXTURES) {
  describe(`${name}.yml built by the pipeline and booted under qemu TCG`, () => {
    const expect = loadExpectations(fixture("e2e", `${name}.expect.json`));
    let built: Built;

    before(async () => {
      built = await buildFixture(name);
    });

    it("powers off by itself and its console shows the expected markers in order, none forbidden", async () => {
      const consoleFile = path.join(work, `${name}.console.log`);
      const result = await bootUntilExit(
        {
          kernel: built.kernel,
          initrd: built.initrd,
          cmdline: `${built.cmdline} ${expect.append}`,
          memoryMiB: expect.qemu.memoryMiB,
          consoleFile,
        },
        expect.timeoutSeconds * 1000,
      );
      assert.equal(
        result.timedOut,
        false,
        `the guest powers off within ${expect.timeoutSeconds} s\nconsole: ${consoleFile}\n${tail(result.console)}`,
      );
      assert.equal(
        result.code,
        0,
        `qemu exits cleanly (${describeExit(result)})\n${tail(result.console)}`,
      );
      const problems = checkConsole(expect, result.console);
      assert.deepEqual(problems, [], report(problems, result.console, consoleFile));
    });

    it(`stays up without poweroff and answers GET ${expect.http?.path ?? "/"} on a forwarded host port`, async (t) => {
      const http = expect.http;
      if (!http) return t.skip("no http block in the expect file");
      const port = await freePort();
      const consoleFile = path.join(work, `${name}.http.console.log`);
      const guest = startGuest({
        kernel: built.kernel,
        initrd: built.initrd,
        cmdline: built.cmdline,
        memoryMiB: expect.qemu.memoryMiB,
        forwards: [{ hostPort: port, guestPort: http.guestPort }],
        consoleFile,
      });
      try {
        await guest.waitFor(http.after, expect.timeoutSeconds * 1000).catch((e: Error) => {
          throw new Error(`${e.message}\n${tail(guest.console)}`);
        });
        const res = await httpGetWithRetry(`http://127.0.0.1:${port}${http.path}`, 30_000);
        assert.equal(res.status, 200, `HTTP status (body: ${res.body.slice(0, 200)})`);
        assert.ok(
          res.body.includes(http.bodyContains),
          `the body contains "${http.bodyContains}":\n${res.body.slice(0, 500)}`,
        );
        assert.equal(guest.hasExited, false, "the guest is still running: nothing powered it off");
        const bad = forbiddenLines(expect, guest.console);
        assert.deepEqual(bad, [], `no forbidden console lines\n${tail(guest.console)}`);
      } finally {
        await guest.stop();
      }
    });
  });
}

describe("through the command line: build, then run qemu --accel tcg", () => {
  const name = "nginx-like";
  const expect = loadExpectations(fixture("e2e", `${name}.expect.json`));

  it("run qemu boots what build wrote and its stdout shows the expected markers", async () => {
    const dir = path.join(work, "cli");
    const b = await runCli(["build", "--dir", dir, "--name", name, fixture("e2e", `${name}.yml`)]);
    assert.equal(b.code, 0, `build succeeds:\n${b.stderr}`);
    assert.match(b.stdout, /Built 3 artifact\(s\)/);
    // `run qemu` does not pass signals on to its qemu (killing the CLI
    // leaves qemu running, holding stdout open), so the timeout kills qemu
    // itself; the CLI then exits on its own. Killing the CLI is the backstop.
    const timeoutMs = expect.timeoutSeconds * 1000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killQemuMentioning(dir);
    }, timeoutMs);
    let run: CliResult;
    try {
      run = await runCli(
        [
          "run",
          "qemu",
          "--accel",
          "tcg",
          "--mem",
          String(expect.qemu.memoryMiB),
          "--cmdline-append",
          expect.append,
          path.join(dir, name),
        ],
        {
          env: { LINUXKIT_QEMU_ACCEL: "tcg" },
          killAfterMs: timeoutMs + 15_000,
          killSignal: "SIGKILL",
        },
      );
    } finally {
      clearTimeout(timer);
      killQemuMentioning(dir);
    }
    assert.equal(
      timedOut,
      false,
      `the guest powered off within ${expect.timeoutSeconds} s\n${tail(run.stdout)}`,
    );
    assert.equal(run.signal, null, `run qemu exited by itself\n${run.stderr}`);
    assert.equal(
      run.code,
      0,
      `run qemu exits 0 after the guest powers off:\n${run.stderr}\n${tail(run.stdout)}`,
    );
    const problems = checkConsole(expect, run.stdout);
    assert.deepEqual(problems, [], report(problems, run.stdout, "(stdout of run qemu)"));
  });
});

describe("cleanup", () => {
  it("no qemu started by these tests is left running", () => {
    assert.deepEqual(qemuPidsMentioning(work), []);
  });
});

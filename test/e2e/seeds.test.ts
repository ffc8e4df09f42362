/**
 * The two documents this project starts from, their YAML pasted verbatim
 * (test/fixtures/seeds/: the first document's YAML had lost its
 * indentation in the text; only the indentation was restored), built as
 * their stories do, with one command and no `--format`:
 *
 *   000: `moby build linuxkit.yml`    → kernel+initrd, linuxkit.iso, linuxkit-efi.iso
 *   001: `moby build docker-sshd.yml` → kernel+initrd, docker-sshd.iso
 *
 * Every image keeps its exact name (`mobylinux/kernel:4.9.x`,
 * `linuxkit/init:42fe8cb…`, `nginx:alpine`, …): the test tags a local
 * `linuxkit-test/*` stand-in under each (no registry here) and removes the
 * tags afterwards. The kernel+initrd then boots under qemu TCG (the test
 * init's poweroff switches and `console=ttyS0` appended at boot: the seeds
 * put `console=tty0` last) and its console must show that every onboot
 * container ran and succeeded and every service started.
 *
 * `outputs:` plus `--format iso-bios` builds only the ISO, says once that
 * the file's `outputs:` were overridden, and that ISO boots too (a second
 * YAML file in the same command appends the switches to the command line,
 * since an ISO carries its own).
 */
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import Docker from "dockerode";

import {
  bootUntilExit,
  describeExit,
  ensureTestImages,
  killQemuMentioning,
  qemuPidsMentioning,
  tail,
} from "../helpers/boot";
import { runCli } from "../helpers/cli";
import { fixture } from "../helpers/paths";
import { checkConsole, type ConsoleExpectations } from "../images/expect";
import { testImageId } from "../images/build";
import { HASH_LABEL } from "../images/images";
import { SEEDS, type Seed } from "../helpers/seeds";

/** Kernel switches of the test init: power off after the boot, and the markers on the serial line. */
const SWITCHES = "console=ttyS0 linuxkit.test.poweroff=1 linuxkit.test.delay=3";
const TIMEOUT_S = 300;
const FORBIDDEN = ["LINUXKIT-TEST: (ERROR|WARN)", "runc run failed", "Kernel panic"];

const docker = new Docker();
let work: string;
/** Every tag this test added, removed in `after`. */
const added: string[] = [];

/**
 * Tags this tree's version of the stand-in (by image id: the `:test` tag
 * may be rebuilt by another checkout meanwhile) under `name` (`repo:tag`).
 * An image of that name that is not a stand-in is never replaced.
 */
async function tagStandIn(name: string, standIn: string): Promise<void> {
  const colon = name.lastIndexOf(":");
  const [repo, tag] = [name.slice(0, colon), name.slice(colon + 1)];
  const id = await testImageId(standIn, docker);
  const existing = await docker
    .getImage(name)
    .inspect()
    .catch(() => undefined);
  // a test image carries the content-hash label; anything else is someone's real image
  if (existing !== undefined && existing.Config?.Labels?.[HASH_LABEL] === undefined) {
    assert.fail(`the engine already has ${name} (${existing.Id}), not a stand-in: remove it first`);
  }
  await docker.getImage(id).tag({ repo, tag });
  if (!added.includes(name)) added.push(name);
  // A second repository naming the id: another checkout's image build
  // removes the `:test` image it replaces by id, which deletes an image
  // with one tag left but refuses one named in several repositories.
  const keepRepo = `linuxkit-test/keep-${standIn}`;
  const keep = `${keepRepo}:seeds-${process.pid}`;
  if (!added.includes(keep)) {
    await docker.getImage(id).tag({ repo: keepRepo, tag: `seeds-${process.pid}` });
    added.push(keep);
  }
}

before(async () => {
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-seeds-"));
  for (const seed of SEEDS) {
    for (const [name, standIn] of Object.entries(seed.images)) await tagStandIn(name, standIn);
  }
});

after(async () => {
  killQemuMentioning(work);
  for (const name of added) {
    await docker
      .getImage(name)
      .remove({ noprune: true })
      .catch(() => undefined);
  }
  await rm(work, { recursive: true, force: true });
});

function expectations(seed: Seed): ConsoleExpectations {
  return {
    fixture: seed.fixture,
    append: SWITCHES,
    qemu: { memoryMiB: 1024, network: "user", nic: "virtio-net-pci" },
    timeoutSeconds: TIMEOUT_S,
    ordered: seed.ordered,
    unordered: seed.unordered,
    forbidden: FORBIDDEN,
  };
}

for (const seed of SEEDS) {
  const prefix = seed.file.replace(/\.yml$/, "");
  describe(`seed ${seed.fixture}: \`build ${seed.file}\` as the document wrote it`, () => {
    const dir = (): string => path.join(work, prefix);

    before(async () => {
      await rm(dir(), { recursive: true, force: true });
      await mkdir(dir(), { recursive: true });
      await copyFile(fixture("seeds", seed.fixture), path.join(dir(), seed.file));
    });

    it("one command with no --format writes every format of outputs:", async (t) => {
      const started = Date.now();
      const b = await runCli(["build", seed.file], { cwd: dir() });
      assert.equal(b.code, 0, `build succeeds:\n${b.stderr}\n${tail(b.stdout)}`);
      t.diagnostic(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.doesNotMatch(b.stdout, /override/, "nothing overrode outputs:");
      const files = (await readdir(dir())).filter((f) => f !== seed.file && !f.startsWith("."));
      for (const f of seed.outputs) assert.ok(files.includes(f), `${f} written (got ${files})`);
      const cmdline = await readFile(path.join(dir(), `${prefix}-cmdline`), "utf8");
      assert.equal(cmdline.trim(), "console=ttyS0 console=tty0 page_poison=1");
    });

    it("its kernel+initrd boots under qemu TCG: every onboot ran and succeeded, every service started", async (t) => {
      const consoleFile = path.join(work, `${prefix}.console.log`);
      const cmdline = (await readFile(path.join(dir(), `${prefix}-cmdline`), "utf8")).trim();
      const result = await bootUntilExit(
        {
          kernel: path.join(dir(), `${prefix}-kernel`),
          initrd: path.join(dir(), `${prefix}-initrd.img`),
          cmdline: `${cmdline} ${SWITCHES}`,
          memoryMiB: 1024,
          consoleFile,
        },
        TIMEOUT_S * 1000,
      );
      t.diagnostic(`booted and powered off in ${result.seconds.toFixed(1)} s`);
      assert.equal(result.timedOut, false, `powers off in time\n${tail(result.console)}`);
      assert.equal(result.code, 0, `qemu exits cleanly (${describeExit(result)})`);
      const problems = checkConsole(expectations(seed), result.console);
      assert.deepEqual(
        problems,
        [],
        `${problems.join("\n")}\n--- console ---\n${tail(result.console, 120)}`,
      );
    });

    it("with --format iso-bios builds only the ISO, says once that outputs: was overridden, and the ISO boots", async (t) => {
      const isoDir = path.join(work, `${prefix}-iso`);
      await mkdir(isoDir, { recursive: true });
      await copyFile(fixture("seeds", seed.fixture), path.join(isoDir, seed.file));
      const seedCmdline = "console=ttyS0 console=tty0 page_poison=1";
      await writeFile(
        path.join(isoDir, "switches.yml"),
        `kernel:\n  cmdline: ${JSON.stringify(`${seedCmdline} ${SWITCHES}`)}\n`,
      );
      const b = await runCli(
        ["build", "--format", "iso-bios", "--name", prefix, seed.file, "switches.yml"],
        { cwd: isoDir },
      );
      assert.equal(b.code, 0, `build succeeds:\n${b.stderr}\n${tail(b.stdout)}`);
      const overrides = b.stdout.split("\n").filter((l) => /override/.test(l));
      assert.equal(overrides.length, 1, `one override notice:\n${b.stdout}`);
      assert.match(
        overrides[0] ?? "",
        /--format \(iso-bios\) override .*outputs: \(kernel\+initrd, iso-bios/,
      );
      const files = (await readdir(isoDir)).filter(
        (f) => !f.endsWith(".yml") && !f.startsWith("."),
      );
      assert.deepEqual(files, [`${prefix}.iso`], "only the --format was built");

      const started = Date.now();
      let run;
      try {
        run = await runCli(
          ["run", "qemu", "--accel", "tcg", "--mem", "1024", path.join(isoDir, prefix)],
          {
            env: { LINUXKIT_QEMU_ACCEL: "tcg" },
            killAfterMs: TIMEOUT_S * 1000,
            killSignal: "SIGKILL",
          },
        );
      } finally {
        killQemuMentioning(isoDir);
      }
      t.diagnostic(
        `iso-bios booted and powered off in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      assert.equal(run.signal, null, `guest powered off in time\n${tail(run.stdout)}`);
      assert.equal(run.code, 0, `run qemu exits 0:\n${run.stderr}\n${tail(run.stdout)}`);
      const problems = checkConsole(expectations(seed), run.stdout);
      assert.deepEqual(
        problems,
        [],
        `${problems.join("\n")}\n--- console ---\n${tail(run.stdout, 120)}`,
      );
    });
  });
}

describe("cleanup", () => {
  it("no qemu started by these tests is left running", () => {
    assert.deepEqual(qemuPidsMentioning(work), []);
  });
});

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

/** Kernel switches of the test init: power off after the boot, and the markers on the serial line. */
const SWITCHES = "console=ttyS0 linuxkit.test.poweroff=1 linuxkit.test.delay=3";
const TIMEOUT_S = 300;
const FORBIDDEN = ["LINUXKIT-TEST: (ERROR|WARN)", "runc run failed", "Kernel panic"];

interface Seed {
  /** The fixture under test/fixtures/seeds. */
  fixture: string;
  /** The file name the document's story builds (its outputs are named after it). */
  file: string;
  /** Each image name in the YAML → the stand-in (`linuxkit-test/<name>:test`) behaving like it. */
  images: Record<string, string>;
  /** The files `outputs:` makes the build write. */
  outputs: string[];
  /** Console lines a boot shows: in this order, and anywhere. */
  ordered: string[];
  unordered: string[];
}

const SEEDS: Seed[] = [
  {
    fixture: "000-nginx.yml",
    file: "linuxkit.yml",
    images: {
      "mobylinux/kernel:4.9.x": "kernel",
      "linuxkit/init:42fe8cb1508b3afed39eb89821906e3cc7a70551": "init",
      "mobylinux/runc:b0fb122e10dbb7e4e45115177a61a3f8d68c19a9": "runc",
      // the test init plays containerd too; busybox's files are the init's own base
      "linuxkit/containerd:60e2486a74c665ba4df57e561729aec20758daed": "busybox",
      "mobylinux/ca-certificates:eabc5a6e59f05aa91529d80e9a595b85b046f935": "ca-certificates",
      "mobylinux/sysctl:2cf2f9d5b4d314ba1bfc22b2fe931924af666d8c": "sysctl",
      // one-shot onboot jobs: check reports and exits 0
      "linuxkit/binfmt:8881283ac627be1542811bd25c85e7782aebc692": "check",
      "linuxkit/dhcpcd:48e249ebef6a521eed886b3bce032db69fbb4afa": "dhcpcd",
      "mobylinux/rngd:3dad6dd43270fa632ac031e99d1947f20b22eec9": "rngd",
      "nginx:alpine": "httpd",
    },
    outputs: [
      "linuxkit-kernel",
      "linuxkit-initrd.img",
      "linuxkit-cmdline",
      "linuxkit.iso",
      "linuxkit-efi.iso",
    ],
    ordered: [
      "LINUXKIT-TEST: init started",
      "LINUXKIT-TEST: sysctl vm\\.swappiness=42 .* capeff=0000000000200000 readonly=yes pidns=host ipcns=host",
      "LINUXKIT-TEST: onboot 000-sysctl exit=0(\\s|$)",
      "LINUXKIT-TEST: check uid=0 capeff=0000000000000000 readonly=yes",
      "LINUXKIT-TEST: onboot 001-binfmt exit=0(\\s|$)",
      "LINUXKIT-TEST: dhcp bound eth0 \\d+\\.\\d+\\.\\d+\\.\\d+/\\d+",
      "LINUXKIT-TEST: onboot 002-dhcpcd exit=0(\\s|$)",
      "LINUXKIT-TEST: service nginx started",
      "LINUXKIT-TEST: service rngd started",
      "LINUXKIT-TEST: boot complete",
      "LINUXKIT-TEST: poweroff",
    ],
    unordered: [
      // YAML capabilities replace the label's: NET_BIND_SERVICE, CHOWN, SETUID, SETGID, DAC_OVERRIDE
      "LINUXKIT-TEST: httpd listening port=80 root=/www var-log=bound uid=0 capeff=00000000000004c3 ",
      "LINUXKIT-TEST: rngd uid=0 capeff=0000000000200000 readonly=yes .* oom=-800",
    ],
  },
  {
    fixture: "001-docker-sshd.yml",
    file: "docker-sshd.yml",
    images: {
      "linuxkit/kernel:4.9.x": "kernel",
      "linuxkit/init:63eed9ca7a09d2ce4c0c5e7238ac005fa44f564b": "init",
      "linuxkit/runc:b0fb122e10dbb7e4e45115177a61a3f8d68c19a9": "runc",
      "linuxkit/containerd:18eaf72f3f4f9a9f29ca1951f66df701f873060b": "busybox",
      "linuxkit/ca-certificates:e091a05fbf7c5e16f18b23602febd45dd690ba2f": "ca-certificates",
      "linuxkit/sysctl:1f5ec5d5e6f7a7a1b3d2ff9dd9e36fd6fb14756a": "sysctl",
      "linuxkit/sysfs:6c1d06f28ddd9681799d3950cddf044b930b221c": "check",
      "linuxkit/binfmt:c7e69ebd918a237dd086a5c58dd888df772746bd": "check",
      "linuxkit/format:53748000acf515549d398e6ae68545c26c0f3a2e": "check",
      "linuxkit/mount:d2669e7c8ddda99fa0618a414d44261eba6e299a": "mount",
      "linuxkit/rngd:c42fd499690b2cb6e4e6cb99e41dfafca1cf5b14": "rngd",
      "linuxkit/dhcpcd:57a8ef29d3a910645b2b24c124f9ce9ef53ce703": "dhcpcd",
      // a daemon that idles
      "linuxkit/openntpd:a570316d7fc49ca1daa29bd945499f4963d227af": "rngd",
      "linuxkit/docker-ce:741bf21513328f674e0cdcaa55492b0b75974e08": "docker",
      "linuxkit/sshd:e108d208adf692c8a0954f602743e0eec445364e": "sshd",
      // reports what it sees and exits, as a bench run would
      "linuxkit/test-docker-bench:2f941429d874c5dcf05e38005affb4f10192e1a8": "check",
    },
    outputs: [
      "docker-sshd-kernel",
      "docker-sshd-initrd.img",
      "docker-sshd-cmdline",
      "docker-sshd.iso",
    ],
    ordered: [
      "LINUXKIT-TEST: init started",
      "LINUXKIT-TEST: onboot 000-sysctl exit=0(\\s|$)",
      "LINUXKIT-TEST: onboot 001-sysfs exit=0(\\s|$)",
      "LINUXKIT-TEST: onboot 002-binfmt exit=0(\\s|$)",
      "LINUXKIT-TEST: check uid=0 capeff=0000000008200000 readonly=no",
      "LINUXKIT-TEST: onboot 003-format exit=0(\\s|$)",
      "LINUXKIT-TEST: mount /var/lib/docker fstype=tmpfs",
      "LINUXKIT-TEST: onboot 004-mount exit=0(\\s|$)",
      "LINUXKIT-TEST: service dhcpcd started",
      "LINUXKIT-TEST: service docker started",
      "LINUXKIT-TEST: service ntpd started",
      "LINUXKIT-TEST: service rngd started",
      "LINUXKIT-TEST: service sshd started",
      "LINUXKIT-TEST: service test-docker-bench started",
      "LINUXKIT-TEST: boot complete",
      "LINUXKIT-TEST: poweroff",
    ],
    unordered: [
      "LINUXKIT-TEST: dhcp bound eth0 \\d+\\.\\d+\\.\\d+\\.\\d+/\\d+",
      "LINUXKIT-TEST: docker uid=0 capeff=000001ffffffffff readonly=no pidns=new ipcns=host",
      "LINUXKIT-TEST: docker cgroup=tmpfs cgroup-rw=yes var-lib-docker=tmpfs mount-marker=yes modules=yes",
      "LINUXKIT-TEST: file /root/\\.ssh/authorized_keys mode=0600 uid=0 gid=0 size=7 ",
      "LINUXKIT-TEST: sshd openssh listening port=22",
      "LINUXKIT-TEST: check uid=0 capeff=000001ffffffffff readonly=no pidns=host ipcns=host",
    ],
  },
];

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

/**
 * The second seed's story ends with `ssh root@<guest>`: here it does too.
 * docker-sshd-like.yml is built with a freshly generated key written
 * through `files: root/.ssh/authorized_keys`, booted with `run qemu
 * --publish <port>:22` (TCG), and `ssh` (BatchMode, the generated key) logs
 * in as root to the sshd service (Debian's OpenSSH in the
 * linuxkit-test/sshd image) and runs a command whose output shows it ran
 * inside the guest: the guest kernel's command line and its init as PID 1
 * (the sshd container shares the host's pid namespace).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import Docker from "dockerode";

import {
  ensureTestImages,
  freePort,
  killQemuMentioning,
  qemuPidsMentioning,
  tail,
} from "../helpers/boot";
import { runCli, type CliResult } from "../helpers/cli";
import { fixture } from "../helpers/paths";
import { testImageId } from "../images/build";

const execFileAsync = promisify(execFile);
const NAME = "sshd-login";
/** This tree's sshd image (a tag another checkout's image build cannot move). */
const SSHD_IMAGE = `linuxkit-test/sshd:openssh-${process.pid}`;
const KEEP_REPO = "linuxkit-test/keep-sshd";
const KEEP = `${KEEP_REPO}:ssh-${process.pid}`;
const TIMEOUT_S = 300;

const docker = new Docker();
let work: string;
let key: string;
let publicKey: string;

before(async () => {
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-ssh-"));
  const id = await testImageId("sshd", docker);
  const [repo, tag] = SSHD_IMAGE.split(":") as [string, string];
  await docker.getImage(id).tag({ repo, tag });
  // a second repository naming the id, so another checkout's image build
  // (which removes the image it replaces, by id) cannot delete it
  await docker.getImage(id).tag({ repo: KEEP_REPO, tag: `ssh-${process.pid}` });
  key = path.join(work, "id_ed25519");
  await execFileAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "e2e", "-f", key]);
  publicKey = (await readFile(`${key}.pub`, "utf8")).trim();
});

after(async () => {
  killQemuMentioning(work);
  for (const name of [SSHD_IMAGE, KEEP]) {
    await docker
      .getImage(name)
      .remove({ noprune: true })
      .catch(() => undefined);
  }
  await rm(work, { recursive: true, force: true });
});

/** docker-sshd-like.yml with the generated key and this tree's sshd image; nothing else changed. */
async function writeConfig(): Promise<{ file: string; cmdline: string }> {
  const text = await readFile(fixture("e2e", "docker-sshd-like.yml"), "utf8");
  const keyLine = /^(\s+contents: )"ssh-ed25519 [^"]*"$/m;
  assert.match(text, keyLine, "the fixture writes an authorized_keys line");
  const out = text
    .replace(keyLine, `$1${JSON.stringify(publicKey)}`)
    .replace("image: linuxkit-test/sshd:test", `image: ${SSHD_IMAGE}`);
  assert.ok(out.includes(SSHD_IMAGE) && out.includes(publicKey));
  const file = path.join(work, `${NAME}.yml`);
  await writeFile(file, out);
  const cmdline = /cmdline: "([^"]*)"/.exec(text)?.[1];
  assert.ok(cmdline !== undefined);
  return { file, cmdline };
}

/** One ssh attempt: the command's stdout, or the failure. */
async function ssh(port: number, command: string): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout } = await execFileAsync(
      "ssh",
      [
        "-i",
        key,
        "-p",
        String(port),
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=5",
        "-o",
        "LogLevel=ERROR",
        "root@127.0.0.1",
        command,
      ],
      { timeout: 20_000 },
    );
    return { ok: true, out: stdout };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { ok: false, out: err.stderr || err.message };
  }
}

describe("docker-sshd-like.yml: run qemu --publish PORT:22, then ssh in with the key from files:", () => {
  it("logs in as root with the generated key and runs a command inside the guest", async (t) => {
    const { file, cmdline } = await writeConfig();
    const b = await runCli(["build", "--dir", work, "--name", NAME, file]);
    assert.equal(b.code, 0, `build succeeds:\n${b.stderr}\n${tail(b.stdout)}`);

    const port = await freePort();
    const started = Date.now();
    const run: Promise<CliResult> = runCli(
      [
        "run",
        "qemu",
        "--accel",
        "tcg",
        "--mem",
        "1024",
        "--publish",
        `${port}:22`,
        path.join(work, NAME),
      ],
      { env: { LINUXKIT_QEMU_ACCEL: "tcg" }, killAfterMs: TIMEOUT_S * 1000, killSignal: "SIGKILL" },
    );
    let exited = false;
    void run.then(() => (exited = true));
    let last = { ok: false, out: "" };
    let attempts = 0;
    try {
      while (!exited && Date.now() - started < TIMEOUT_S * 1000) {
        attempts++;
        last = await ssh(
          port,
          "echo ssh-login-ok uid=$(id -u); cat /proc/cmdline; cat /proc/1/cmdline | tr '\\0' ' '",
        );
        if (last.ok) break;
        await new Promise((r) => setTimeout(r, 3000));
      }
    } finally {
      killQemuMentioning(work);
    }
    const console = (await run).stdout;
    t.diagnostic(
      `logged in ${((Date.now() - started) / 1000).toFixed(1)} s after run qemu started (${attempts} attempts)`,
    );
    assert.ok(
      last.ok,
      `ssh logged in (last error: ${last.out})\n--- console ---\n${tail(console, 80)}`,
    );
    const lines = last.out.trim().split("\n");
    assert.equal(lines[0], "ssh-login-ok uid=0", "the command ran as root");
    assert.ok(lines[1]?.startsWith(cmdline), `the guest kernel's command line: ${lines[1]}`);
    assert.match(lines[2] ?? "", /\/init/, "PID 1 is the guest's init");
    // the image's earlier markers still come first, and nothing failed
    assert.match(
      console,
      /LINUXKIT-TEST: sshd uid=0 capeff=000001ffffffffff readonly=no pidns=host ipcns=host utsns=host netifs=eth0,lo oom=0 cwd=\//,
    );
    assert.match(
      console,
      new RegExp(
        `LINUXKIT-TEST: file /root/\\.ssh/authorized_keys mode=0600 uid=0 gid=0 size=${Buffer.byteLength(publicKey)} `,
      ),
    );
    assert.doesNotMatch(console, /LINUXKIT-TEST: (ERROR|WARN)|runc run failed/);
    assert.match(console, /LINUXKIT-TEST: sshd openssh listening port=22/);
    assert.match(
      console,
      /Accepted publickey for root/,
      "sshd logged the key login on the console",
    );
  });

  it("no qemu started by this test is left running", () => {
    assert.deepEqual(qemuPidsMentioning(work), []);
  });
});

/**
 * The generated config.json is accepted by a real runc: bundles with a
 * static busybox as their whole root filesystem are run to completion.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";

import {
  ociConfig,
  serializeOciConfig,
  type OciContext,
} from "../../../components/rootfs/oci-config";
import type { ImageEntrySpec } from "../../../components/config/types";

const RUNC = "/usr/sbin/runc";
const BUSYBOX = "/bin/busybox";

/** Why runc tests cannot run here, or undefined when they can. */
function skipReason(): string | undefined {
  if (process.platform !== "linux") return "runc needs Linux";
  if (!existsSync(RUNC)) return `${RUNC} is not installed`;
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} (busybox-static) is not installed`;
  if (process.getuid?.() !== 0) return "runc needs root to create containers";
  return undefined;
}

const skip = skipReason();
const work = skip === undefined ? mkdtempSync(path.join(tmpdir(), "lk-oci-runc-")) : "";
let counter = 0;

after(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

/** Writes a bundle for `entry` (busybox at /busybox) and runs it with runc; returns status and output. */
function runBundle(
  entry: ImageEntrySpec,
  ctx: OciContext,
): { status: number | null; stdout: string; stderr: string } {
  const id = `lk-oci-${process.pid}-${++counter}`;
  const bundle = path.join(work, id);
  mkdirSync(path.join(bundle, "rootfs"), { recursive: true });
  copyFileSync(BUSYBOX, path.join(bundle, "rootfs", "busybox"));
  chmodSync(path.join(bundle, "rootfs", "busybox"), 0o755);
  const { config } = ociConfig(entry, { ref: entry.image, labels: {} }, ctx);
  writeFileSync(path.join(bundle, "config.json"), serializeOciConfig(config));
  const state = path.join(work, "state");
  const r = spawnSync(RUNC, ["--root", state, "run", "--bundle", bundle, id], {
    encoding: "utf8",
    timeout: 60_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  spawnSync(RUNC, ["--root", state, "delete", "--force", id], { stdio: "ignore" });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? String(r.error ?? "") };
}

const NO_IDS: OciContext = { idFor: () => undefined, volumes: new Map() };

describe("config.json under a real runc", { skip }, () => {
  it("runs a read-only entry sharing the host's net and pid namespaces", () => {
    const r = runBundle(
      {
        name: "true",
        image: "busybox",
        readonly: true,
        net: "host",
        pid: "host",
        command: ["/busybox", "true"],
      },
      NO_IDS,
    );
    assert.equal(r.status, 0, `runc failed: ${r.stderr}`);
  });

  it("applies user, ambient capabilities, env, cwd, rlimits, hostname, binds, tmpfs and devices", () => {
    const data = path.join(work, "data");
    mkdirSync(data, { mode: 0o755 });
    writeFileSync(path.join(data, "hello"), "from host\n", { mode: 0o644 });
    const script = [
      "/busybox id -u",
      "/busybox id -G",
      "/busybox cat hello",
      "/busybox grep CapEff /proc/self/status",
      "ulimit -n",
      "echo $FOO",
      "/busybox hostname",
      "/busybox touch /scratch/ok && echo scratch-writable",
      "echo x > /dev/lknull && echo device-ok",
      "/busybox grep ' / ' /proc/self/mounts | /busybox grep -q ' ro,' && echo root-ro",
    ].join("; ");
    const r = runBundle(
      {
        name: "rich",
        image: "busybox",
        readonly: true,
        pid: "host",
        uts: "new",
        hostname: "lk-test",
        uid: "other",
        gid: 1000,
        additionalGids: [2000],
        ambient: ["CAP_NET_RAW"],
        env: ["FOO=bar"],
        cwd: "/data",
        rlimits: ["nofile,512,1024"],
        binds: [`${data}:/data:ro`],
        tmpfs: ["/scratch:mode=1777"],
        devices: [{ path: "/dev/lknull", type: "c", major: 1, minor: 3, mode: "0666" }],
        command: ["/busybox", "sh", "-c", script],
      },
      { idFor: (n) => (n === "other" ? 1000 : undefined), volumes: new Map() },
    );
    assert.equal(r.status, 0, `runc failed: ${r.stderr}\n${r.stdout}`);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      "1000",
      "1000 2000",
      "from host",
      "CapEff:\t0000000000002000",
      "512",
      "bar",
      "lk-test",
      "scratch-writable",
      "device-ok",
      "root-ro",
    ]);
  });
});

/**
 * Stand-in images for LinuxKit's corpus: no registry is reachable here, so
 * every image a YAML names is made locally under that exact name from one
 * of this tree's test images (test/images/README.md), carrying the
 * `org.mobyproject.config` label LinuxKit's package of that name has
 * (the `config:` of its pkg/<name>/build.yml, as `linuxkit pkg build`
 * writes it), so config.json is generated from the same label by both
 * tools.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { isMap, isScalar, isSeq, parseDocument } from "yaml";

import type { ImageRole } from "./corpus";

/** Marks an image as made here, so only those are removed afterwards. */
export const STAND_IN_LABEL = "org.pulumi-linuxkit.parity-stand-in";

/** `linuxkit/<image>` → the JSON of its build.yml `config:`, from pkg/ and test/pkg/. */
export function packageLabels(linuxkitSrc: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const root of ["pkg", path.join("test", "pkg")]) {
    const dir = path.join(linuxkitSrc, root);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name, "build.yml");
      if (!existsSync(file)) continue;
      const doc = parseDocument(readFileSync(file, "utf8"));
      const data = doc.toJS() as Record<string, unknown> | null;
      const image = typeof data?.image === "string" ? data.image : name;
      const org = typeof data?.org === "string" ? data.org : "linuxkit";
      const config = data?.config as Record<string, unknown> | null | undefined;
      if (config === undefined || config === null) continue;
      // LinuxKit's Device.Mode is a string: go-yaml keeps `mode: 0666` as the text "0666"
      const devices = doc.getIn(["config", "devices"], true);
      if (isSeq(devices) && Array.isArray(config.devices)) {
        devices.items.forEach((item, i) => {
          const mode = isMap(item) ? item.get("mode", true) : undefined;
          const target = (config.devices as Record<string, unknown>[])[i];
          if (isScalar(mode) && target !== undefined)
            target.mode = mode.source ?? String(mode.value);
        });
      }
      out.set(`${org}/${image}`, JSON.stringify(config));
    }
  }
  return out;
}

/** The repository of a reference: `linuxkit/init:abc` → `linuxkit/init`; `docker.io/` dropped. */
export function repositoryOf(ref: string): string {
  const noDigest = ref.split("@")[0] ?? ref;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  const repo = colon > slash ? noDigest.slice(0, colon) : noDigest;
  return repo.replace(/^docker\.io\//, "").replace(/^library\//, "");
}

const KERNEL_BASE = "linuxkit-test/kernel:test";

/** Which test image a stand-in is made from (kernels also get an `intel-ucode.cpio`). */
export function standInBase(ref: string, role: ImageRole): string {
  if (role === "kernel") return KERNEL_BASE;
  const repo = repositoryOf(ref);
  const own: Record<string, string> = {
    "linuxkit/init": "linuxkit-test/init:test",
    "linuxkit/runc": "linuxkit-test/runc:test",
    "linuxkit/ca-certificates": "linuxkit-test/ca-certificates:test",
  };
  return own[repo] ?? "linuxkit-test/busybox:test";
}

function docker(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync("docker", args, { encoding: "utf8", maxBuffer: 1 << 24 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

/** The labels of a local image, or undefined when the engine does not have it. */
function localLabels(ref: string): Record<string, string> | undefined {
  const r = docker(["image", "inspect", "--format", "{{json .Config.Labels}}", ref]);
  if (!r.ok) return undefined;
  return (JSON.parse(r.out) as Record<string, string> | null) ?? {};
}

/** What {@link makeStandIns} did. */
export interface StandIns {
  /** References tagged here (to remove afterwards). */
  made: string[];
  /** References the engine already had from elsewhere, used as they are. */
  foreign: string[];
  /** Reference → why no stand-in could be made (`docker build` output). */
  failed: Map<string, string>;
}

/** Builds one stand-in under `ref`; returns the engine's complaint when it fails. */
function buildStandIn(ref: string, base: string, label: string | undefined): string | undefined {
  // the name in a label: each reference is its own image (its own id), as in a registry
  const lines = [`FROM ${base}`, `LABEL ${STAND_IN_LABEL}=${JSON.stringify(ref)}`];
  if (label !== undefined) lines.push(`LABEL org.mobyproject.config=${JSON.stringify(label)}`);
  const context = mkdtempSync(path.join(os.tmpdir(), "parity-stand-in-"));
  try {
    if (base === KERNEL_BASE) {
      // LinuxKit's amd64 kernel images carry Intel's microcode as a cpio (kernel/common/Dockerfile)
      writeFileSync(path.join(context, "intel-ucode.cpio"), "stand-in for intel-ucode.cpio\n");
      lines.push("COPY intel-ucode.cpio /intel-ucode.cpio");
    }
    writeFileSync(path.join(context, "Dockerfile"), `${lines.join("\n")}\n`);
    const r = docker(["build", "-q", "-t", ref, context]);
    return r.ok ? undefined : r.out;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/**
 * Makes a stand-in for every reference: `FROM <base>` plus the package's
 * label and one naming the reference, so that two references are two
 * images, as they are in a registry (our build reads an image once by
 * content, LinuxKit once by name: shared stand-ins would make that
 * deliberate difference show up everywhere). A name the engine already
 * has from elsewhere is left alone and used as it is.
 */
export function makeStandIns(
  refs: ReadonlyMap<string, ImageRole>,
  labels: ReadonlyMap<string, string>,
): StandIns {
  const made: string[] = [];
  const foreign: string[] = [];
  const failed = new Map<string, string>();
  for (const [ref, role] of refs) {
    const existing = localLabels(ref);
    if (existing !== undefined && existing[STAND_IN_LABEL] === undefined) {
      foreign.push(ref);
      continue;
    }
    const why = buildStandIn(ref, standInBase(ref, role), labels.get(repositoryOf(ref)));
    if (why === undefined) made.push(ref);
    else failed.set(ref, why);
  }
  return { made, foreign, failed };
}

/** Removes the tags {@link makeStandIns} made (the test images they came from stay). */
export function removeStandIns(refs: readonly string[]): void {
  for (let i = 0; i < refs.length; i += 50) docker(["rmi", ...refs.slice(i, i + 50)]);
}

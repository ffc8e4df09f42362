/**
 * The files a bare-metal machine iPXE-boots, laid out for serving: one
 * folder per version under `dir`, holding `<name>-kernel`,
 * `<name>-initrd.img` (hard links to the Image's artifacts, copies across
 * filesystems) and `<name>-equinixmetal.ipxe`. The version is a hash of
 * everything the script and files depend on, so a new image gets a new
 * script URL (which is what makes a MetalDevice reboot into it) and the old
 * version stays served until it is deleted, after the devices moved on.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, link, mkdir, rm, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { sha256File } from "../../pipeline/manifest";
import { ipxeFileNames, ipxeScript, urlOf, type IpxeArch } from "../../ipxe/ipxe-script";
import { containsUnknown } from "../dynamic/unknowns";
import { schemeOf } from "./metal-device-inputs";

export interface MetalArtifactsInputs {
  /** File prefix: `<name>-kernel`, ... */
  name: string;
  /** Kernel and initrd to serve, relative to the program folder (or absolute). */
  kernel: string;
  initrd: string;
  /** The image's kernel command line. */
  cmdline: string;
  arch: IpxeArch;
  /** URL where `dir` is served. */
  baseUrl: string;
  /** Folder to lay the versions out in, relative to the program folder. */
  dir: string;
  /** Content hash of the image (an Image's `contentHash`); hashed from the files when unset. */
  contentHash?: string;
}

export interface MetalArtifactsOutputs extends MetalArtifactsInputs {
  /** 16 hex digits naming this version's folder and URL path. */
  version: string;
  /** The served files, relative to the program folder. */
  kernelFile: string;
  initrdFile: string;
  scriptFile: string;
  /** URL of this version's folder: the script's `base-url`. */
  versionUrl: string;
  ipxeScriptUrl: string;
  ipxeScript: string;
}

/** The version of a set of inputs: any change to what is served changes it. */
export function artifactsVersion(i: MetalArtifactsInputs & { contentHash: string }): string {
  const doc = JSON.stringify([i.name, i.contentHash, i.cmdline, i.arch, i.baseUrl]);
  return createHash("sha256").update(doc).digest("hex").slice(0, 16);
}

function relative(abs: string): string {
  return path.relative(process.cwd(), abs) || ".";
}

/** Hard-links `from` to `to`, copying when a link is impossible (another filesystem). */
async function linkOrCopy(from: string, to: string): Promise<void> {
  await rm(to, { force: true });
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

/** Everything the outputs say, computed from the inputs. */
export function layoutOf(
  i: MetalArtifactsInputs & { contentHash: string },
): Omit<MetalArtifactsOutputs, keyof MetalArtifactsInputs> {
  const version = artifactsVersion(i);
  const folder = path.join(i.dir, version);
  const files = ipxeFileNames(i.name);
  const versionUrl = urlOf(i.baseUrl, version);
  return {
    version,
    kernelFile: path.join(folder, files.kernel),
    initrdFile: path.join(folder, files.initrd),
    scriptFile: path.join(folder, files.script),
    versionUrl,
    ipxeScriptUrl: urlOf(versionUrl, files.script),
    ipxeScript: ipxeScript({ name: i.name, baseUrl: versionUrl, arch: i.arch, cmdline: i.cmdline }),
  };
}

async function contentHashOf(i: MetalArtifactsInputs): Promise<string> {
  if (i.contentHash !== undefined) return i.contentHash;
  const k = await sha256File(path.resolve(i.kernel));
  const r = await sha256File(path.resolve(i.initrd));
  return createHash("sha256").update(`${k}\n${r}`).digest("hex");
}

export const metalArtifactsProvider = {
  async check(_olds: unknown, news: Partial<MetalArtifactsInputs>) {
    const inputs: MetalArtifactsInputs = {
      name: news.name ?? "linuxkit",
      kernel: news.kernel ?? "",
      initrd: news.initrd ?? "",
      cmdline: news.cmdline ?? "",
      arch: news.arch ?? "x86_64",
      baseUrl: news.baseUrl ?? "",
      dir: news.dir ?? ".linuxkit/metal",
      ...(news.contentHash === undefined ? {} : { contentHash: news.contentHash }),
    };
    const failures: { property: string; reason: string }[] = [];
    if (containsUnknown(inputs)) return { inputs };
    if (!/^https?:\/\//.test(inputs.baseUrl)) {
      failures.push({
        property: "baseUrl",
        reason: `baseUrl must be the http(s) URL the machines fetch the files from (it starts with ${schemeOf(inputs.baseUrl)})`,
      });
    }
    for (const key of ["kernel", "initrd"] as const) {
      if (inputs[key] === "") {
        failures.push({
          property: key,
          reason: `${key} is required: build the Image with the kernel+initrd format`,
        });
      }
    }
    if (inputs.arch !== "x86_64" && inputs.arch !== "aarch64") {
      failures.push({ property: "arch", reason: "arch must be x86_64 or aarch64" });
    }
    return { inputs, failures };
  },

  async diff(_id: string, olds: MetalArtifactsOutputs, news: MetalArtifactsInputs) {
    if (containsUnknown(news)) return { changes: true, replaces: ["contentHash"] };
    const contentHash = await contentHashOf(news).catch(() => "unreadable");
    const version = artifactsVersion({ ...news, contentHash });
    // Each version has its own folder and URL: a new one is written before
    // the old one goes. The same version in the same folder is never
    // replaced (the delete would remove what the create just wrote).
    const replaces: string[] = [];
    if (version !== olds.version) replaces.push("contentHash");
    if (path.resolve(news.dir) !== path.resolve(olds.dir)) replaces.push("dir");
    const moved = ["kernel", "initrd"].some(
      (k) => olds[k as "kernel" | "initrd"] !== news[k as "kernel" | "initrd"],
    );
    return { changes: replaces.length > 0 || moved, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: MetalArtifactsInputs) {
    const contentHash = await contentHashOf(inputs);
    const layout = layoutOf({ ...inputs, contentHash });
    const folder = path.resolve(path.dirname(layout.scriptFile));
    await mkdir(folder, { recursive: true });
    await linkOrCopy(path.resolve(inputs.kernel), path.resolve(layout.kernelFile));
    await linkOrCopy(path.resolve(inputs.initrd), path.resolve(layout.initrdFile));
    // 0600: the script holds the command line, which may be secret (the server runs as this user).
    await writeFile(path.resolve(layout.scriptFile), layout.ipxeScript, { mode: 0o600 });
    const outs: MetalArtifactsOutputs = {
      ...inputs,
      contentHash,
      ...layout,
      kernelFile: relative(path.resolve(layout.kernelFile)),
      initrdFile: relative(path.resolve(layout.initrdFile)),
      scriptFile: relative(path.resolve(layout.scriptFile)),
    };
    return { id: `${inputs.name}-${layout.version}`, outs };
  },

  /** Refresh: a version whose files were removed is gone (the next up writes it again). */
  async read(id: string, props?: MetalArtifactsOutputs) {
    if (props === undefined) return {};
    const files = [props.kernelFile, props.initrdFile, props.scriptFile];
    if (!files.every((f) => existsSync(path.resolve(f)))) return {};
    return { id, props };
  },

  /** Same version, same folder: only where the source files sit changed. */
  async update(_id: string, olds: MetalArtifactsOutputs, news: MetalArtifactsInputs) {
    return { outs: { ...olds, kernel: news.kernel, initrd: news.initrd } };
  },

  /** Removes this version's folder only, then `dir` if it is empty. */
  async delete(_id: string, props: MetalArtifactsOutputs) {
    const folder = path.resolve(path.dirname(props.scriptFile));
    if (path.basename(folder) !== props.version) {
      throw new Error(`refusing to delete ${folder}: not a version folder of ${props.name}`);
    }
    await rm(folder, { recursive: true, force: true });
    await rmdir(path.resolve(props.dir)).catch(() => undefined);
  },
};

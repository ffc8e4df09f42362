import { rm, rmdir } from "node:fs/promises";
import { ARCHES, DEFAULT_ARCH, isArch, parseArch } from "../../arch";
import path from "node:path";

import { build, planBuild, contentDirName } from "../../pipeline/pipeline";
import { artifactsIntact, readManifest } from "../../pipeline/manifest";
import { LinuxKitError } from "../../errors/errors";
import { validateFormats } from "../../formats/table";
import { checkGzipLevel, DEFAULT_GZIP_LEVEL } from "../../formats/blocks/gzip-level";
import { canonicalJson } from "../../config";
import { checkSourceKind } from "../../sources/choose-source";
import { parseCacheRepo } from "../../pipeline/cache-repo";
import {
  buildRequestFor,
  configProperty,
  DEFAULT_OUTPUT_DIR,
  failuresFrom,
  parseImageConfig,
  programDir,
  type ImageInputs,
} from "./image-inputs";
import { containsUnknown } from "../dynamic/unknowns";
import { enginePlatformErrors } from "./image-platform-check";
import { progress } from "../../progress";

/** One artifact as the Image resource reports it. */
export interface ImageArtifact {
  format: string;
  path: string;
  sha256: string;
  size: number;
}

/** What the Image resource stores: never the configuration itself (it may hold secrets). */
export interface ImageOutputs extends Omit<ImageInputs, "configYaml" | "configFiles" | "config"> {
  /** Content key of the build: spec, image contents and file sources. */
  contentHash: string;
  specHash: string;
  /** Folder holding this version's artifacts. */
  artifactDir: string;
  artifacts: ImageArtifact[];
  /** Image reference → content id used. */
  images: Record<string, string>;
  cmdline: string;
  /** Path of `<name>-kernel`, when built. */
  kernel?: string;
  /** Path of `<name>-initrd.img`, when built. */
  initrd?: string;
  /** The gzip level the build used (the input, else the default then). */
  gzipLevel?: number;
}

/**
 * A line for the person running `pulumi preview`/`up`: the engine shows
 * what a provider plugin writes to stderr in its output (a dynamic
 * provider has no other channel to the engine's diagnostics).
 */
function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The level state written before `gzipLevel` was recorded was built with. */
const LEVEL_OF_OLDER_STATE = 6;

/** `aarch64` → `arm64`, `x86_64` → `amd64`; unknown names unchanged. */
function canonicalArch(value: string): string {
  try {
    return parseArch(value);
  } catch {
    return value;
  }
}

function normalise(news: Partial<ImageInputs> & { baseDir?: unknown }): ImageInputs {
  // `baseDir` was an absolute path in state written by 0.1: dropped, the
  // program folder is the base now.
  const rest = { ...news };
  delete rest.baseDir;
  return {
    ...rest,
    name: news.name ?? "linuxkit",
    outputDir: news.outputDir ?? DEFAULT_OUTPUT_DIR,
    // `aarch64` and `x86_64` are kept as the canonical names; anything else stays for check to refuse
    arch: canonicalArch(news.arch ?? DEFAULT_ARCH),
  };
}

/**
 * A path as the Image reports it: relative to the program folder when the
 * output folder was given relative (the default), so state stays valid in
 * another checkout; absolute when the user chose an absolute folder.
 */
function reported(inputs: ImageInputs, file: string): string {
  return path.isAbsolute(inputs.outputDir) ? file : path.relative(programDir(), file);
}

/** Same folder, whichever way each side spells it. */
function samePath(a: string, b: string): boolean {
  return path.resolve(programDir(), a) === path.resolve(programDir(), b);
}

function outputsFrom(inputs: ImageInputs, result: Awaited<ReturnType<typeof build>>): ImageOutputs {
  const artifacts = result.artifacts.map((a) => ({
    format: a.format,
    path: reported(inputs, a.path),
    sha256: a.sha256,
    size: a.size,
  }));
  const byName = (suffix: string): string | undefined =>
    artifacts.find((a) => a.path.endsWith(suffix))?.path;
  const out: ImageOutputs = {
    name: inputs.name,
    outputDir: inputs.outputDir,
    formats: result.formats,
    arch: inputs.arch,
    contentHash: result.cacheKey,
    specHash: result.specHash,
    artifactDir: reported(inputs, result.outputDir),
    artifacts,
    images: result.images,
    cmdline: result.cmdline,
  };
  if (inputs.diskSizeMiB !== undefined) out.diskSizeMiB = inputs.diskSizeMiB;
  out.gzipLevel = inputs.gzipLevel ?? DEFAULT_GZIP_LEVEL;
  if (inputs.source !== undefined) out.source = inputs.source;
  if (inputs.cacheRepo !== undefined) out.cacheRepo = inputs.cacheRepo;
  const kernel = byName(`${inputs.name}-kernel`);
  const initrd = byName(`${inputs.name}-initrd.img`);
  if (kernel !== undefined) out.kernel = kernel;
  if (initrd !== undefined) out.initrd = initrd;
  return out;
}

async function buildImage(inputs: ImageInputs): Promise<ImageOutputs> {
  const parsed = await parseImageConfig(inputs);
  progress(`building ${inputs.name} (${inputs.arch})`);
  return outputsFrom(inputs, await build({ ...buildRequestFor(inputs, parsed), log: progress }));
}

/**
 * The Image resource's provider. Check validates, touching Docker only to
 * inspect (never pull) the images' platforms;
 * diff compares content keys (re-resolving tags, re-hashing sources) and
 * builds nothing; create builds into a folder named by the content key, so
 * a replacement never overwrites what running VMs boot from.
 */
export const imageProvider = {
  async check(_olds: unknown, news: Partial<ImageInputs>) {
    const inputs = normalise(news);
    if (containsUnknown(news)) return { inputs };
    const failures: { property: string; reason: string }[] = [];
    if (!isArch(inputs.arch)) {
      failures.push({
        property: "arch",
        reason: `arch "${inputs.arch}" is not supported: use one of ${ARCHES.join(", ")}`,
      });
    }
    try {
      if (inputs.formats !== undefined)
        validateFormats(inputs.formats, isArch(inputs.arch) ? inputs.arch : DEFAULT_ARCH);
    } catch (e) {
      failures.push(...failuresFrom(e, "formats"));
    }
    if (inputs.source !== undefined) {
      try {
        checkSourceKind(inputs.source);
      } catch (e) {
        failures.push(...failuresFrom(e, "source"));
      }
    }
    if (inputs.cacheRepo !== undefined) {
      try {
        parseCacheRepo(inputs.cacheRepo, "cacheRepo");
      } catch (e) {
        failures.push(...failuresFrom(e, "cacheRepo"));
      }
    }
    if (inputs.gzipLevel !== undefined) {
      try {
        checkGzipLevel(inputs.gzipLevel);
      } catch (e) {
        failures.push(...failuresFrom(e, "gzipLevel"));
      }
    }
    try {
      const parsed = await parseImageConfig(inputs);
      // A preview of a new Image runs check only: a mixed configuration must fail here.
      if (failures.length === 0 && isArch(inputs.arch)) {
        for (const e of await enginePlatformErrors(parsed, inputs.arch, inputs.source))
          failures.push(...failuresFrom(e, configProperty(inputs)));
      }
    } catch (e) {
      failures.push(...failuresFrom(e, configProperty(inputs)));
    }
    return { inputs, failures };
  },

  async diff(_id: string, olds: ImageOutputs, news: ImageInputs) {
    if (containsUnknown(news)) return { changes: true, replaces: [configProperty(news)] };
    let plan: Awaited<ReturnType<typeof planBuild>>;
    try {
      plan = await planBuild(buildRequestFor(news, await parseImageConfig(news)), {
        offline: true,
        // A registry out of reach during a preview keeps the ids in state
        // (said as a warning); during `up` the diff fails naming the registry.
        lastKnownIds: news.dryRun === true ? olds.images : undefined,
        onWarning: (line) => say(`Image ${news.name}: ${line}`),
      });
    } catch (e) {
      if (!(e instanceof LinuxKitError)) throw e;
      // An image of another architecture will not build either: say so at preview.
      if (e.code === "IMAGE_PLATFORM") throw e;
      // Pulumi shows an error's message only: keep the hint in it.
      if (e.code === "REGISTRY_UNREACHABLE") throw new Error(e.describe(), { cause: e });
      // An image not in the engine yet (the build will pull it) or a
      // configuration that no longer parses: either way the build must run.
      return {
        changes: true,
        replaces: [e.code === "IMAGE_NOT_FOUND" ? "images" : configProperty(news)],
      };
    }
    // Same content in the same place: nothing to do, whatever else moved
    // (and replacing would delete the folder the new version shares).
    if (samePath(plan.outputDir, olds.artifactDir)) return { changes: false };
    const replaces: string[] = [];
    for (const key of ["name", "diskSizeMiB", "arch"] as const) {
      if (olds[key] !== news[key]) replaces.push(key);
    }
    // Compared as built: an unset level is the default of its day.
    if ((olds.gzipLevel ?? LEVEL_OF_OLDER_STATE) !== (news.gzipLevel ?? DEFAULT_GZIP_LEVEL))
      replaces.push("gzipLevel");
    if (!samePath(olds.outputDir, news.outputDir)) replaces.push("outputDir");
    if (canonicalJson(olds.formats) !== canonicalJson(plan.formats)) replaces.push("formats");
    if (plan.specHash !== olds.specHash) replaces.push(configProperty(news));
    if (canonicalJson(plan.imageIds) !== canonicalJson(olds.images)) {
      replaces.push("images");
      for (const [ref, id] of Object.entries(plan.imageIds)) {
        const was = olds.images?.[ref];
        if (was !== undefined && was !== id)
          say(`Image ${news.name}: ${ref} moved: ${was} → ${id}`);
      }
    }
    if (replaces.length === 0) replaces.push("fileSources");
    return { changes: true, replaces };
  },

  async create(news: ImageInputs) {
    const outs = await buildImage(news);
    return { id: `${outs.name}-${contentDirName(outs.contentHash)}`, outs };
  },

  async update(_id: string, _olds: ImageOutputs, news: ImageInputs) {
    return { outs: await buildImage(news) };
  },

  /** Refresh: an image whose artifacts were removed or altered outside Pulumi is gone. */
  async read(id: string, props?: ImageOutputs) {
    if (props === undefined) return {};
    const manifest = await readManifest(props.artifactDir, props.name);
    if (
      manifest === undefined ||
      manifest.cacheKey !== props.contentHash ||
      !(await artifactsIntact(props.artifactDir, manifest))
    ) {
      return {};
    }
    return { id, props };
  },

  /** Removes this version's folder only; an already-missing folder is fine. */
  async delete(_id: string, props: ImageOutputs) {
    const dir = props.artifactDir;
    if (path.basename(dir) !== contentDirName(props.contentHash)) {
      throw new Error(`refusing to delete ${dir}: not a content folder of this image`);
    }
    await rm(dir, { recursive: true, force: true });
    await rmdir(props.outputDir).catch(() => undefined);
  },
};

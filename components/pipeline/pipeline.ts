import { mkdir, rename } from "node:fs/promises";
import path from "node:path";

import { LinuxKitError } from "../errors";
import { validateFormats, formatTable } from "../formats/table";
import { assembleRootfs } from "../rootfs/assemble";
import { DockerImageSource } from "../sources/docker-image-source";
import { ExportCachingSource } from "../sources/export-cache";
import type { ImageSource, PullProgress, ResolvedImage } from "../sources/image-source";
import {
  canonicalSpecHash,
  chooseFormats,
  resolveContainerIds,
  specMetadata,
  type MetadataFormat,
} from "../config";
import type { SpecLocations } from "../config/locations";
import type { LinuxKitSpec } from "../config/types";
import { buildCacheKey } from "./cache-key";
import {
  artifactsIntact,
  readManifest,
  removeManifest,
  sha256File,
  writeManifest,
  type ArtifactRecord,
  type BuildManifest,
} from "./manifest";
import { resolveImages } from "./resolve-images";
import { createScratchDir, removeScratchDir } from "./scratch-dir";

export interface BuildRequest {
  spec: LinuxKitSpec;
  /** Where each field was written, for errors that point at the YAML. */
  locations?: SpecLocations;
  /** Directory relative `files[].source` paths are read from (the first YAML file's folder). */
  baseDir?: string;
  /** Base name of the outputs, e.g. `linuxkit` → `linuxkit-kernel`. */
  name: string;
  /** Where artifacts are published. Created when missing. */
  outputDir: string;
  /**
   * Publish into `<outputDir>/<first 16 hex of the content key>/` instead,
   * so builds of different content never overwrite each other (the Pulumi
   * Image resource relies on this to replace an image while VMs still boot
   * from the old one).
   */
  contentAddressed?: boolean;
  /**
   * Output formats (LinuxKit names). Default: the spec's `outputs:` formats
   * (moby-era YAML) if any, else `["kernel+initrd"]`.
   */
  formats?: string[];
  /** Disk size in MiB for disk formats. */
  diskSizeMiB?: number;
  /** Always pull images, even when present. */
  pull?: boolean;
  /** Ignore a matching previous build and build again. */
  noCache?: boolean;
  source?: ImageSource;
  log?: (line: string) => void;
  onPullProgress?: (p: PullProgress) => void;
}

/** One artifact of a finished build. */
export interface BuiltArtifact extends ArtifactRecord {
  /** Absolute path. */
  path: string;
}

/** The folder name of a content-addressed build. */
export function contentDirName(cacheKey: string): string {
  return cacheKey.slice(0, 16);
}

export interface BuildResult {
  /** Content key: equal keys mean byte-identical artifacts. */
  cacheKey: string;
  /** Where the artifacts are. */
  outputDir: string;
  /** True when a previous build with the same key was reused and nothing was built. */
  cached: boolean;
  artifacts: BuiltArtifact[];
  /** Image reference → content id (image id) used. */
  images: Record<string, string>;
  cmdline: string;
  /** sha256 of the canonical resolved spec. */
  specHash: string;
  /** The formats built (explicit, else the spec's `outputs:`, else kernel+initrd). */
  formats: string[];
}

function withPaths(outputDir: string, m: BuildManifest): BuildResult["artifacts"] {
  return m.artifacts.map((a) => ({ ...a, path: path.join(outputDir, a.file) }));
}

/**
 * The Docker engine, with exported root filesystems kept on disk by image
 * id (set PULUMI_LINUXKIT_EXPORT_CACHE=0 to always export from the engine).
 */
export function defaultImageSource(): ImageSource {
  const docker = new DockerImageSource();
  return process.env.PULUMI_LINUXKIT_EXPORT_CACHE === "0"
    ? docker
    : new ExportCachingSource(docker);
}

/** What a build of a request would produce, known without building. */
export interface BuildPlan {
  formats: string[];
  cacheKey: string;
  specHash: string;
  images: Map<string, ResolvedImage>;
  /** Image reference → content id. */
  imageIds: Record<string, string>;
  /** Where the artifacts go. */
  outputDir: string;
  cmdline: string;
}

/**
 * Validates the formats, resolves every image and computes the content
 * key, without building. With `offline`, a missing image is an error
 * instead of a pull (previews and diffs must not change anything).
 */
export async function planBuild(
  req: BuildRequest,
  options: { offline?: boolean } = {},
): Promise<BuildPlan> {
  const formats = validateFormats(chooseFormats(req.formats, req.spec).formats);
  const source = req.source ?? new DockerImageSource();
  const specHash = canonicalSpecHash(req.spec);
  const images = await resolveImages(req.spec, source, {
    pull: options.offline ? false : req.pull,
    offline: options.offline,
    locations: req.locations,
    onProgress: req.onPullProgress,
  });
  const imageIds = Object.fromEntries([...images].map(([ref, img]) => [ref, img.id]));
  const cacheKey = await buildCacheKey({
    specHash,
    spec: req.spec,
    images,
    name: req.name,
    formats,
    options: { diskSizeMiB: req.diskSizeMiB ?? null },
    baseDir: req.baseDir,
  });
  const outputDir = req.contentAddressed
    ? path.join(path.resolve(req.outputDir), contentDirName(cacheKey))
    : path.resolve(req.outputDir);
  return {
    formats,
    cacheKey,
    specHash,
    images,
    imageIds,
    outputDir,
    cmdline: req.spec.kernel?.cmdline ?? "",
  };
}

/**
 * The whole build: resolve images, compute the content key, reuse an
 * intact previous build with that key, or assemble the root filesystem
 * and write every requested format. Artifacts are written in a scratch
 * directory and published by rename only when all of them succeeded, so a
 * failed or interrupted build leaves no partial file behind.
 */
export async function build(req: BuildRequest): Promise<BuildResult> {
  const log = req.log ?? (() => undefined);
  const source = req.source ?? defaultImageSource();
  const plan = await planBuild({ ...req, source });
  const { formats, cacheKey, specHash, images, imageIds, outputDir, cmdline } = plan;

  await mkdir(outputDir, { recursive: true });
  const previous = await readManifest(outputDir, req.name);
  if (
    !req.noCache &&
    previous?.cacheKey === cacheKey &&
    (await artifactsIntact(outputDir, previous))
  ) {
    log(`Up to date: ${previous.artifacts.map((a) => a.file).join(" ")}`);
    return {
      cacheKey,
      outputDir,
      cached: true,
      artifacts: withPaths(outputDir, previous),
      images: imageIds,
      cmdline,
      specHash,
      formats,
    };
  }

  const scratch = await createScratchDir(outputDir);
  try {
    const tarPath = path.join(scratch, "rootfs.tar");
    const ids = resolveContainerIds(req.spec);
    await assembleRootfs({
      spec: req.spec,
      images,
      source,
      spoolPath: path.join(scratch, "spool"),
      tarPath,
      log,
      bundle: { idFor: (n) => ids.get(n), spec: req.spec, locations: req.locations },
      files: {
        idFor: (n) => ids.get(n),
        metadata: (kind) => Buffer.from(specMetadata(req.spec, kind as MetadataFormat)),
        locate: (field) => req.locations?.locationOf(field),
        baseDir: req.baseDir,
      },
    });
    const stage = path.join(scratch, "out");
    await mkdir(stage);
    log("Create outputs:");
    const records: ArtifactRecord[] = [];
    for (const name of formats) {
      const format = formatTable.get(name)!;
      const written = await format.write({
        name: req.name,
        outputDir: stage,
        rootfsTarPath: tarPath,
        tmpDir: scratch,
        log,
        options: { diskSizeMiB: req.diskSizeMiB },
      });
      for (const a of written) {
        // A kernel or command line written by an earlier format is the same file.
        if (records.some((r) => r.file === path.basename(a.path))) continue;
        records.push({
          format: name,
          file: path.basename(a.path),
          size: a.size,
          sha256: a.sha256 ?? (await sha256File(a.path)),
        });
      }
      log(`  ${written.map((a) => path.basename(a.path)).join(" ")}`);
    }
    await removeManifest(outputDir, req.name);
    for (const r of records) await rename(path.join(stage, r.file), path.join(outputDir, r.file));
    const manifest: BuildManifest = {
      version: 1,
      cacheKey,
      name: req.name,
      artifacts: records,
      images: imageIds,
      cmdline,
    };
    await writeManifest(outputDir, manifest);
    return {
      cacheKey,
      outputDir,
      cached: false,
      artifacts: withPaths(outputDir, manifest),
      images: imageIds,
      cmdline,
      specHash,
      formats,
    };
  } catch (e) {
    if (e instanceof LinuxKitError) throw e;
    throw new LinuxKitError("BUILD", `build of ${req.name} failed: ${(e as Error).message}`, {
      cause: e,
    });
  } finally {
    await removeScratchDir(scratch);
  }
}

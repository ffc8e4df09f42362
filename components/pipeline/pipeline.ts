import { mkdir } from "node:fs/promises";
import path from "node:path";

import { DEFAULT_ARCH, type Arch } from "../arch";
import { LinuxKitError } from "../errors/errors";
import { makeBootPayload } from "../formats/blocks/boot-payload";
import { checkGzipLevel, DEFAULT_GZIP_LEVEL } from "../formats/blocks/gzip-level";
import { checkFormatTools, resolveFormats, writeResolvedFormats } from "../formats/table";
import type { Artifact, FormatContext, OutputFormat } from "../formats/blocks/types";
import { assembleRootfs } from "../rootfs/assemble";
import { chooseImageSource, type SourceKind } from "../sources/choose-source";
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
import { artifactsIntact, readManifest, type ArtifactRecord, type BuildManifest } from "./manifest";
import { publishBuild, recoverPublish } from "./publish";
import { resolveImages } from "./resolve-images";
import { createScratchDir, removeScratchDir } from "./scratch-dir";
import { StageTimer } from "./stage-timer";

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
  /**
   * The architecture to build for (LinuxKit's `build --arch`). Every image
   * must be for it (the engine is asked for that platform; the registry
   * source picks it from multi-platform indexes); formats that cannot boot
   * it are refused. Default amd64.
   */
  arch?: Arch;
  /** gzip level 0-9 of the initrd (and the gcp format's tar.gz). Default {@link DEFAULT_GZIP_LEVEL}. */
  gzipLevel?: number;
  /** Always pull images, even when present. */
  pull?: boolean;
  /** Ignore a matching previous build and build again. */
  noCache?: boolean;
  /** Aborting stops the build between and inside stages; nothing is published. */
  signal?: AbortSignal;
  /** Where images come from when no `source` is given: `docker`, `registry` or `auto` (default). */
  sourceKind?: SourceKind;
  /** The registry source's OCI cache folder (default ~/.cache/pulumi-linuxkit/oci). */
  ociCacheDir?: string;
  /**
   * Registry source: when a tag's registry is unreachable, build from the
   * digest the cache last pulled for it, with a warning (the command line
   * does; the Pulumi Image does not).
   */
  cachedTagsWhenUnreachable?: boolean;
  /**
   * A registry repository (`host/path`) holding finished builds by content
   * key: looked up before building (a hit is pulled instead of built), and
   * pushed to after a build. See cache-repo.ts.
   */
  cacheRepo?: string;
  source?: ImageSource;
  log?: (line: string) => void;
  onPullProgress?: (p: PullProgress) => void;
}

/** The formats of a request that names none. */

/** One artifact of a finished build. */
export interface BuiltArtifact extends Omit<ArtifactRecord, "stamp"> {
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
  /** The architecture built for. */
  arch: Arch;
  /** Where the artifacts are. */
  outputDir: string;
  /** True when a previous build with the same key was reused and nothing was built. */
  cached: boolean;
  /** True when the artifacts were pulled from the cache repository instead of built. */
  fromCacheRepo?: boolean;
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
  return m.artifacts.map((a) => ({
    format: a.format,
    file: a.file,
    size: a.size,
    sha256: a.sha256,
    path: path.join(outputDir, a.file),
  }));
}

/**
 * The Docker engine, with exported root filesystems kept on disk by image
 * id (set PULUMI_LINUXKIT_EXPORT_CACHE=0 to always export from the engine).
 */
export function defaultImageSource(): ImageSource {
  return withExportCache(new DockerImageSource());
}

function withExportCache(source: ImageSource): ImageSource {
  return process.env.PULUMI_LINUXKIT_EXPORT_CACHE === "0"
    ? source
    : new ExportCachingSource(source);
}

/**
 * The source a request names (`sourceKind`, default auto), said in the
 * log: the engine, or the registries with an OCI cache. Applied trees are
 * kept by image id either way (the ids are the same: config digests).
 */
export async function requestSource(
  req: Pick<
    BuildRequest,
    "sourceKind" | "arch" | "ociCacheDir" | "cachedTagsWhenUnreachable" | "log"
  >,
  options: { quiet?: boolean } = {},
): Promise<ImageSource> {
  const chosen = await chooseImageSource(req.sourceKind ?? "auto", {
    arch: req.arch,
    cacheDir: req.ociCacheDir,
    cachedTagsWhenUnreachable: req.cachedTagsWhenUnreachable,
    onWarning: req.log,
  });
  if (!options.quiet) req.log?.(chosen.said);
  return withExportCache(chosen.source);
}

/* eslint-disable @typescript-eslint/no-require-imports */
/** The cache-repo module and a registry client, loaded only for builds that name a cache repo. */
function cacheRepoParts(): {
  repoModule: typeof import("./cache-repo");
  client: import("../sources/registry/registry-client").RegistryClient;
} {
  const repoModule = require("./cache-repo") as typeof import("./cache-repo");
  const { RegistryClient } =
    require("../sources/registry/registry-client") as typeof import("../sources/registry/registry-client");
  return { repoModule, client: new RegistryClient() };
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * The artifacts of the plan's content key from the cache repository,
 * published into the output folder with their manifest; undefined when the
 * repository has none or cannot be read (said, then the build runs).
 */
async function fetchFromRepo(
  req: BuildRequest,
  plan: BuildPlan,
  log: (line: string) => void,
): Promise<BuildManifest | undefined> {
  const { repoModule, client } = cacheRepoParts();
  const repo = repoModule.parseCacheRepo(req.cacheRepo!);
  const where = `${repo.domain}/${repo.path}:${repoModule.cacheRepoTag(plan.cacheKey).slice(0, 15)}…`;
  const scratch = await createScratchDir(plan.outputDir);
  try {
    const stage = path.join(scratch, "out");
    await mkdir(stage);
    let records: ArtifactRecord[] | undefined;
    try {
      records = await repoModule.fetchFromCacheRepo(client, repo, plan.cacheKey, stage);
    } catch (e) {
      log(`warning: cache repo ${where}: ${(e as Error).message}; building instead`);
      return undefined;
    }
    if (records === undefined) {
      log(`Cache repo: no build of this content in ${repo.domain}/${repo.path}; building`);
      return undefined;
    }
    const manifest = await publishBuild({
      stageDir: stage,
      outputDir: plan.outputDir,
      name: req.name,
      records,
      manifest: (published): BuildManifest => ({
        version: 1,
        cacheKey: plan.cacheKey,
        name: req.name,
        artifacts: published,
        images: plan.imageIds,
        cmdline: plan.cmdline,
      }),
    });
    log(`Fetched ${manifest.artifacts.length} artifact(s) from cache repo ${where}`);
    return manifest;
  } finally {
    await removeScratchDir(scratch);
  }
}

/** Pushes a finished build to the cache repository; a failure is said, not fatal. */
async function pushToRepo(
  cacheRepo: string,
  manifest: BuildManifest,
  outputDir: string,
  log: (line: string) => void,
): Promise<void> {
  const { repoModule, client } = cacheRepoParts();
  const repo = repoModule.parseCacheRepo(cacheRepo);
  try {
    await repoModule.pushToCacheRepo(
      client,
      repo,
      manifest.cacheKey,
      outputDir,
      manifest.artifacts,
    );
    log(
      `Pushed ${manifest.artifacts.length} artifact(s) to cache repo ${repo.domain}/${repo.path}:${repoModule.cacheRepoTag(manifest.cacheKey).slice(0, 15)}…`,
    );
  } catch (e) {
    log(
      `warning: could not push the build to cache repo ${repo.domain}/${repo.path}: ${(e as Error).message}` +
        ` (check push rights: \`docker login ${repo.domain}\`)`,
    );
  }
}

/** What a build of a request would produce, known without building. */
export interface BuildPlan {
  formats: string[];
  arch: Arch;
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
export interface PlanOptions {
  offline?: boolean;
  /**
   * Offline only: image ids to keep for references whose registry cannot
   * be reached (the ids in state), each said through `onWarning`.
   */
  lastKnownIds?: Record<string, string>;
  onWarning?: (line: string) => void;
}

export async function planBuild(req: BuildRequest, options: PlanOptions = {}): Promise<BuildPlan> {
  const formats = requestFormats(req);
  return planWith(req, formats, req.source ?? (await requestSource(req, { quiet: true })), options);
}

/** The request's formats (explicit, else `outputs:`, else kernel+initrd), validated for its arch. */
function requestFormats(req: BuildRequest): OutputFormat[] {
  return resolveFormats(chooseFormats(req.formats, req.spec).formats, req.arch ?? DEFAULT_ARCH);
}

/** {@link planBuild} for formats already chosen and validated, from `source`. */
async function planWith(
  req: BuildRequest,
  chosen: readonly OutputFormat[],
  source: ImageSource,
  options: PlanOptions = {},
): Promise<BuildPlan> {
  const arch = req.arch ?? DEFAULT_ARCH;
  const formats = chosen.map((f) => f.name);
  const specHash = canonicalSpecHash(req.spec);
  const images = await resolveImages(req.spec, source, {
    pull: options.offline ? false : req.pull,
    offline: options.offline,
    arch,
    locations: req.locations,
    onProgress: req.onPullProgress,
    lastKnownIds: options.offline ? options.lastKnownIds : undefined,
    onWarning: options.onWarning,
  });
  const imageIds = Object.fromEntries([...images].map(([ref, img]) => [ref, img.id]));
  const cacheKey = await buildCacheKey({
    specHash,
    spec: req.spec,
    images,
    name: req.name,
    formats,
    options: {
      diskSizeMiB: req.diskSizeMiB ?? null,
      gzipLevel: checkGzipLevel(req.gzipLevel ?? DEFAULT_GZIP_LEVEL),
      // amd64 keys stay what they were before other architectures existed
      ...(arch === DEFAULT_ARCH ? {} : { arch }),
    },
    baseDir: req.baseDir,
  });
  const outputDir = req.contentAddressed
    ? path.join(path.resolve(req.outputDir), contentDirName(cacheKey))
    : path.resolve(req.outputDir);
  return {
    formats,
    arch,
    cacheKey,
    specHash,
    images,
    imageIds,
    outputDir,
    cmdline: req.spec.kernel?.cmdline ?? "",
  };
}

/** Files of `artifacts`, one record per file name (several formats write the same kernel). */
function recordsOf(artifacts: readonly Artifact[]): ArtifactRecord[] {
  const records = new Map<string, ArtifactRecord>();
  for (const a of artifacts) {
    const file = path.basename(a.path);
    if (!records.has(file))
      records.set(file, { format: a.format, file, size: a.size, sha256: a.sha256 });
  }
  return [...records.values()];
}

/** One log line per format: the files it wrote. */
function logFormats(log: (line: string) => void, artifacts: readonly Artifact[]): void {
  const byFormat = new Map<string, string[]>();
  for (const a of artifacts) {
    const files = byFormat.get(a.format) ?? [];
    files.push(path.basename(a.path));
    byFormat.set(a.format, files);
  }
  for (const files of byFormat.values()) log(`  ${files.join(" ")}`);
}

/**
 * The whole build, one stage after the other:
 *
 * 1. formats: validate them and find every tool they run (TOOL_MISSING
 *    before anything is pulled, exported or assembled);
 * 2. plan: resolve the images, compute the content key; an intact previous
 *    build with that key is reused and nothing else happens;
 * 3. root filesystem: one sorted tar in a scratch folder;
 * 4. boot payload: kernel, initrd and command line, made once when any
 *    format boots the image, and handed to those formats;
 * 5. formats: the table's runner writes each into a staging folder;
 * 6. publish: once, when every format succeeded: the build's files in the
 *    output folder are replaced all together under a journal, and the
 *    manifest (sizes, digests, stamps) written last (publish.ts): a failure
 *    or a kill at any point leaves the previous build or the new one.
 *
 * A failed or interrupted build leaves no partial file behind.
 */
export async function build(req: BuildRequest): Promise<BuildResult> {
  const log = req.log ?? (() => undefined);
  const { signal } = req;
  const timer = new StageTimer();
  const arch = req.arch ?? DEFAULT_ARCH;
  const formats = requestFormats(req);
  await checkFormatTools(formats, arch);
  timer.mark("tools");

  const source = req.source ?? (await requestSource(req));
  const plan = await planWith(req, formats, source);
  timer.mark("plan");
  const { cacheKey, specHash, images, imageIds, outputDir, cmdline } = plan;
  await mkdir(outputDir, { recursive: true });
  // A publish of this build that a killed process left half done: the old build goes back first.
  const recovered = recoverPublish(outputDir, req.name);
  if (recovered !== "none") log(`An interrupted publish of ${req.name} was ${recovered}`);
  const previous = await readManifest(outputDir, req.name);
  if (
    !req.noCache &&
    previous?.cacheKey === cacheKey &&
    (await artifactsIntact(outputDir, previous))
  ) {
    log(`Up to date: ${previous.artifacts.map((a) => a.file).join(" ")}`);
    return {
      cacheKey,
      arch,
      outputDir,
      cached: true,
      artifacts: withPaths(outputDir, previous),
      images: imageIds,
      cmdline,
      specHash,
      formats: plan.formats,
    };
  }

  if (req.cacheRepo !== undefined && !req.noCache) {
    const fetched = await fetchFromRepo(req, plan, log);
    if (fetched !== undefined) {
      return {
        cacheKey,
        arch,
        outputDir,
        cached: true,
        fromCacheRepo: true,
        artifacts: withPaths(outputDir, fetched),
        images: imageIds,
        cmdline,
        specHash,
        formats: plan.formats,
      };
    }
  }

  const scratch = await createScratchDir(outputDir);
  try {
    signal?.throwIfAborted();
    const tarPath = path.join(scratch, "rootfs.tar");
    const ids = resolveContainerIds(req.spec);
    const assembled = await assembleRootfs({
      spec: req.spec,
      images,
      source,
      spoolPath: path.join(scratch, "spool"),
      log,
      bundle: { idFor: (n) => ids.get(n), spec: req.spec, locations: req.locations },
      files: {
        idFor: (n) => ids.get(n),
        metadata: (kind) => Buffer.from(specMetadata(req.spec, kind as MetadataFormat)),
        locate: (field) => req.locations?.locationOf(field),
        baseDir: req.baseDir,
      },
    });
    timer.mark("rootfs");
    const stage = path.join(scratch, "out");
    let artifacts: Artifact[];
    try {
      // Only formats that read the tar file itself need it on disk; the
      // boot payload streams the same entries from the spool.
      if (formats.some((f) => f.readsRootfsTar === true)) {
        await assembled.writeTar(tarPath);
        timer.mark("tar");
      }
      await mkdir(stage);
      const ctx: FormatContext = {
        name: req.name,
        outputDir: stage,
        staged: true,
        rootfsTarPath: tarPath,
        rootfs: assembled.rootfs,
        tmpDir: scratch,
        signal,
        log,
        arch,
        options: { diskSizeMiB: req.diskSizeMiB, gzipLevel: req.gzipLevel },
      };
      log("Create outputs:");
      if (formats.some((f) => f.usesBootPayload === true)) {
        const bootDir = path.join(scratch, "boot");
        await mkdir(bootDir);
        ctx.boot = await makeBootPayload(ctx, bootDir);
        timer.mark("boot payload");
      }
      artifacts = await writeResolvedFormats(formats, ctx);
      timer.mark("formats");
    } finally {
      await assembled.close();
    }
    logFormats(log, artifacts);

    signal?.throwIfAborted();
    const manifest = await publishBuild({
      stageDir: stage,
      outputDir,
      name: req.name,
      records: recordsOf(artifacts),
      manifest: (records): BuildManifest => ({
        version: 1,
        cacheKey,
        name: req.name,
        artifacts: records,
        images: imageIds,
        cmdline,
        ...(arch === "arm64" ? { arch } : {}),
      }),
    });
    timer.mark("publish");
    if (req.cacheRepo !== undefined) await pushToRepo(req.cacheRepo, manifest, outputDir, log);
    timer.report();
    return {
      cacheKey,
      arch,
      outputDir,
      cached: false,
      artifacts: withPaths(outputDir, manifest),
      images: imageIds,
      cmdline,
      specHash,
      formats: plan.formats,
    };
  } catch (e) {
    if (e instanceof LinuxKitError || signal?.aborted) throw e;
    throw new LinuxKitError("BUILD", `build of ${req.name} failed: ${(e as Error).message}`, {
      cause: e,
    });
  } finally {
    await removeScratchDir(scratch);
  }
}

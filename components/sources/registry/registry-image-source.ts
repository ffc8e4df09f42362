import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";

import { archOfImage } from "../../arch";
import { LinuxKitError } from "../../errors/errors";
import { makeTempDir, removeTempDir } from "../../temp-dirs";
import { dockerConfigDir } from "../docker-auth";
import type { ImageSource, PullProgress, ResolveOptions, ResolvedImage } from "../image-source";
import { formatImageRef, parseImageRef, type ImageRef } from "../image-ref";
import { applyLayers, type LayerBlob } from "../layer-apply";
import { Limiter } from "./limiter";
import {
  isIndex,
  isManifest,
  MANIFEST_ACCEPT,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
} from "./media-types";
import { DigestMismatch, OciLayout, defaultOciCacheDir, linuxkitCacheDir } from "./oci-layout";
import { platformFor, platformName, selectPlatform } from "./platform";
import { RegistryClient, type Repository } from "./registry-client";
import { RegistryError } from "./registry-errors";

export interface RegistrySourceOptions {
  /** Where pulled images are kept (an OCI layout). Default {@link defaultOciCacheDir}. */
  cacheDir?: string;
  /**
   * Other OCI layouts read (never written) before pulling: LinuxKit's
   * `~/.linuxkit/cache` by default, so images `linuxkit build` pulled are
   * not pulled again. `[]` reads none.
   */
  alsoRead?: string[];
  client?: RegistryClient;
  /** The architecture images are chosen for in an index (Go's names: amd64, arm64). Default amd64. */
  arch?: string;
  /** Blob downloads at once, over all images. Default 4. */
  concurrency?: number;
  /** Where layer spools go while a tree is applied. Default: the OS temp folder. */
  scratchDir?: string;
  /**
   * When a tag's registry cannot be reached, use the digest the cache last
   * pulled for it (and say so through `onWarning`) instead of failing. The
   * command line does this (air-gapped machines build from an imported
   * cache); the Pulumi Image does not (an `up` must see the registry).
   */
  cachedTagsWhenUnreachable?: boolean;
  onWarning?: (line: string) => void;
}

/** What exportRootfs needs of a resolved image. */
interface Pulled {
  ref: string;
  full: string;
  repo: Repository;
  /** The reference's own manifest or index, as named in the cache. */
  top: Descriptor;
  manifest: ImageManifest;
  onProgress?: (p: PullProgress) => void;
}

/** A LinuxKitError for a reference the parser refuses. */
function invalidRef(ref: string, why: string): LinuxKitError {
  return new LinuxKitError("SPEC_INVALID", `invalid image reference "${ref}": ${why}`, {
    image: ref,
    hint: "write it as [registry/]name[:tag][@sha256:digest], e.g. linuxkit/init:v1.0",
  });
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * IMAGE_PLATFORM unless the image's config is for `arch`, as the engine
 * source refuses a present image of another architecture: a single-platform
 * image (a manifest, not an index) of another architecture is not built
 * into the wrong machine. The config of an index's chosen entry must say
 * the same as the entry, or the index is mislabelled.
 */
function checkConfigArchitecture(
  ref: string,
  full: string,
  architecture: string | undefined,
  arch: string,
): void {
  if (archOfImage(architecture) === arch) return;
  const want = platformName(platformFor(arch));
  const has = architecture ? `linux/${architecture}` : "an unknown architecture";
  throw new LinuxKitError(
    "IMAGE_PLATFORM",
    `image ${ref} is for ${has}, not ${want} (${full} holds no other platform)`,
    {
      image: ref,
      hint:
        `use an image published for ${want} (a multi-platform tag lists it in its index), ` +
        `or build for the architecture it has${architecture ? ` (--arch ${architecture})` : ""}`,
    },
  );
}

/**
 * Images straight from their registries over the OCI distribution API, no
 * Docker engine: the tag (or digest) is resolved to a manifest (an index is
 * narrowed to the wanted platform), documents and layers are pulled into an
 * OCI layout on disk with every digest checked while the bytes stream, and
 * the root filesystem is the layers applied by the same layer applier as
 * the engine source's, so the tree is the same. An image's id is its config
 * digest, as the engine's is.
 */
export class RegistryImageSource implements ImageSource {
  readonly cache: OciLayout;
  private readonly others: OciLayout[];
  readonly client: RegistryClient;
  readonly arch: string;
  private readonly limiter: Limiter;
  private readonly pulled = new Map<string, Pulled>();
  /** Blob downloads under way, so two images sharing a layer fetch it once. */
  private readonly downloads = new Map<string, Promise<void>>();

  constructor(private readonly options: RegistrySourceOptions = {}) {
    this.cache = new OciLayout(options.cacheDir ?? defaultOciCacheDir());
    this.others = (options.alsoRead ?? [linuxkitCacheDir()]).map((d) => new OciLayout(d, true));
    this.client = options.client ?? new RegistryClient();
    this.arch = options.arch ?? "amd64";
    this.limiter = new Limiter(options.concurrency ?? 4);
  }

  async resolve(ref: string, options: ResolveOptions = {}): Promise<ResolvedImage> {
    const parsed = parseImageRef(ref);
    if (typeof parsed === "string") throw invalidRef(ref, parsed);
    const full = formatImageRef(parsed);
    const repo = { domain: parsed.domain, path: parsed.path };
    const arch = options.arch ?? this.arch;
    try {
      const top = await this.topDescriptor(parsed, ref, full);
      const manifest = await this.platformManifest(repo, top, ref, full, arch);
      const configBytes = await this.document(repo, manifest.config.digest, "blobs", ref);
      const config = JSON.parse(configBytes.toString("utf8")) as ImageConfig;
      checkConfigArchitecture(ref, full, config.architecture, arch);
      this.pulled.set(manifest.config.digest, {
        ref,
        full,
        repo,
        top,
        manifest,
        onProgress: options.onProgress,
      });
      const c = config.config ?? {};
      return {
        ref,
        id: manifest.config.digest,
        repoDigest: `${parsed.domain}/${parsed.path}@${top.digest}`,
        entrypoint: c.Entrypoint ?? undefined,
        cmd: c.Cmd ?? undefined,
        env: c.Env ?? undefined,
        workingDir: c.WorkingDir || undefined,
        labels: c.Labels ?? {},
        architecture: config.architecture,
      };
    } catch (e) {
      throw this.userError(e, ref, full);
    }
  }

  /** The descriptor the reference names: by digest as written, by tag as the registry (or, offline, the cache) says. */
  private async topDescriptor(parsed: ImageRef, ref: string, full: string): Promise<Descriptor> {
    const repo = { domain: parsed.domain, path: parsed.path };
    if (parsed.digest !== undefined) {
      const local = await this.localDescriptor(full);
      if (local?.digest === parsed.digest) return local;
      const bytes = await this.document(repo, parsed.digest, "manifests", ref);
      const doc = JSON.parse(bytes.toString("utf8")) as { mediaType?: string };
      return { mediaType: doc.mediaType ?? "", digest: parsed.digest, size: bytes.length };
    }
    try {
      return await this.headTag(repo, parsed.tag ?? "latest");
    } catch (e) {
      if (
        !(e instanceof RegistryError && e.failure === "unreachable") ||
        !this.options.cachedTagsWhenUnreachable
      )
        throw e;
      const local = await this.localDescriptor(full);
      if (local === undefined) throw e;
      this.options.onWarning?.(
        `warning: ${e.message}; using ${ref} as last pulled (${local.digest})`,
      );
      return local;
    }
  }

  /** The entry for `full` in our cache, else in the layouts read alongside. */
  private async localDescriptor(full: string): Promise<Descriptor | undefined> {
    for (const layout of [this.cache, ...this.others]) {
      const d = await layout.lookup(full).catch(() => undefined);
      if (d !== undefined) return d;
    }
    return undefined;
  }

  /** HEAD of the tag's manifest: its digest, media type and size (GET when the registry names no digest). */
  private async headTag(repo: Repository, tag: string): Promise<Descriptor> {
    const res = await this.client.send(repo, `manifests/${tag}`, {
      method: "HEAD",
      headers: { accept: MANIFEST_ACCEPT },
    });
    const digest = res.headers.get("docker-content-digest");
    const mediaType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
    const size = Number(res.headers.get("content-length") ?? "0");
    if (digest && /^sha256:[a-f0-9]{64}$/.test(digest)) return { mediaType, digest, size };
    // No digest header: the manifest's own bytes name it.
    const got = await this.client.send(repo, `manifests/${tag}`, {
      headers: { accept: MANIFEST_ACCEPT },
    });
    const bytes = Buffer.from(await got.arrayBuffer());
    const stored = await this.cache.putBytes(bytes);
    return { mediaType, digest: stored, size: bytes.length };
  }

  /** A manifest, index or config by digest: from a cache, else fetched, verified and stored. */
  private async document(
    repo: Repository,
    digest: string,
    kind: "manifests" | "blobs",
    ref: string,
  ): Promise<Buffer> {
    for (const layout of [this.cache, ...this.others]) {
      if (await layout.hasBlob(digest)) return layout.readBlob(digest);
    }
    const res = await this.client.send(repo, `${kind}/${digest}`, {
      headers: kind === "manifests" ? { accept: MANIFEST_ACCEPT } : {},
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    try {
      await this.cache.putBlob(digest, [bytes]);
    } catch (e) {
      if (e instanceof DigestMismatch) throw this.mismatch(e, ref, repo.domain);
      throw e;
    }
    return bytes;
  }

  /** The image manifest for our platform: the document itself, or the index entry that fits. */
  private async platformManifest(
    repo: Repository,
    top: Descriptor,
    ref: string,
    full: string,
    arch: string,
  ): Promise<ImageManifest> {
    let desc = top;
    for (let depth = 0; depth < 4; depth++) {
      const doc = JSON.parse(
        (await this.document(repo, desc.digest, "manifests", ref)).toString("utf8"),
      ) as unknown;
      if (isManifest(desc.mediaType || undefined, doc)) return doc;
      if (!isIndex(desc.mediaType || undefined, doc)) {
        throw new LinuxKitError(
          "IMAGE_PULL",
          `${full} (${desc.digest}) is neither an image manifest nor an index`,
          {
            image: ref,
            hint: "check that the reference names a container image",
          },
        );
      }
      const want = platformFor(arch);
      const entry = selectPlatform(doc.manifests, want);
      if (entry === undefined) {
        const has = doc.manifests
          .filter((m) => m.platform !== undefined && m.platform.os !== "unknown")
          .map((m) => platformName(m.platform!));
        throw new LinuxKitError(
          "IMAGE_PLATFORM",
          `image ${ref} has no ${platformName(want)} variant (it has: ${has.join(", ") || "none"})`,
          {
            image: ref,
            hint: `build for one of its platforms (the Image's \`arch\`), or use an image published for ${platformName(want)}`,
          },
        );
      }
      desc = entry;
    }
    throw new LinuxKitError("IMAGE_PULL", `${full}: indexes nested too deep`, { image: ref });
  }

  async exportRootfs(image: ResolvedImage): Promise<Readable> {
    const pulled = this.pulled.get(image.id);
    if (pulled === undefined) {
      throw new Error(`image ${image.ref} (${image.id}) was not resolved by this source`);
    }
    try {
      await this.pullLayers(pulled);
    } catch (e) {
      throw this.userError(e, pulled.ref, pulled.full);
    }
    // Listed for the CLI's signal handler: a Ctrl-C runs no `finally`.
    const work = await makeTempDir(this.options.scratchDir ?? os.tmpdir(), "lk-registry-");
    const layers: LayerBlob[] = pulled.manifest.layers.map((l) => ({
      name: l.digest,
      open: async () => (await this.layoutWith(l.digest)).openBlob(l.digest),
    }));
    try {
      const tree = await applyLayers(layers, path.join(work, "tree.spool"));
      tree.once("close", () => void removeTempDir(work));
      return tree;
    } catch (e) {
      await removeTempDir(work);
      throw new LinuxKitError(
        "IMAGE_PULL",
        `could not apply the layers of image ${pulled.ref}: ${(e as Error).message}`,
        {
          image: pulled.ref,
          cause: e,
        },
      );
    }
  }

  private async layoutWith(digest: string): Promise<OciLayout> {
    for (const layout of [this.cache, ...this.others]) {
      if (await layout.hasBlob(digest)) return layout;
    }
    throw new Error(`blob ${digest} vanished from the cache (${this.cache.dir})`);
  }

  /** Downloads the layers the caches lack (at most `concurrency` at once), then names the image in the cache. */
  private async pullLayers(p: Pulled): Promise<void> {
    const missing: Descriptor[] = [];
    for (const l of p.manifest.layers) {
      if (
        !(await this.layoutWith(l.digest).then(
          () => true,
          () => false,
        ))
      )
        missing.push(l);
    }
    if (missing.length > 0) {
      const started = Date.now();
      const total = missing.reduce((n, l) => n + l.size, 0);
      let done = 0;
      p.onProgress?.({
        ref: p.ref,
        status: `Pulling from ${p.repo.domain}/${p.repo.path}`,
        detail: `${missing.length} layer(s), ${mb(total)}`,
      });
      await Promise.all(
        missing.map((l) =>
          this.download(p, l, (n) => {
            done += n;
            p.onProgress?.({
              ref: p.ref,
              status: "Downloading",
              detail: `${mb(done)}/${mb(total)}`,
            });
          }),
        ),
      );
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      p.onProgress?.({
        ref: p.ref,
        status: `Pull complete: ${missing.length} layer(s), ${mb(total)} in ${secs} s`,
      });
    }
    // Named in our cache only when it holds the image's documents (not
    // when they were read from LinuxKit's cache, whose entry stays there).
    if (await this.cache.hasBlob(p.top.digest)) await this.cache.tag(p.full, p.top);
  }

  private download(p: Pulled, layer: Descriptor, onBytes: (n: number) => void): Promise<void> {
    let running = this.downloads.get(layer.digest);
    if (running === undefined) {
      running = this.limiter
        .run(async () => {
          if (await this.cache.hasBlob(layer.digest)) return;
          const res = await this.client.send(p.repo, `blobs/${layer.digest}`);
          if (res.body === null) throw new Error(`empty answer for blob ${layer.digest}`);
          const body = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream);
          try {
            await this.cache.putBlob(layer.digest, body, { size: layer.size, onBytes });
          } catch (e) {
            body.destroy();
            if (e instanceof DigestMismatch) throw this.mismatch(e, p.ref, p.repo.domain);
            throw e;
          }
        })
        .finally(() => this.downloads.delete(layer.digest));
      this.downloads.set(layer.digest, running);
    }
    return running;
  }

  private mismatch(e: DigestMismatch, ref: string, domain: string): LinuxKitError {
    return new LinuxKitError(
      "IMAGE_PULL",
      `image ${ref}: blob ${e.expected} from ${domain} does not match its digest (the ${e.bytes} bytes received hash to ${e.actual}); nothing was cached`,
      {
        image: ref,
        hint: "the registry (or a proxy between) served other bytes than the manifest names: pull again, and if it persists push the image again",
      },
    );
  }

  /** A registry failure as a user error naming the image, the registry and what to do. */
  private userError(e: unknown, ref: string, full: string): unknown {
    if (!(e instanceof RegistryError)) return e;
    const domain = e.domain;
    switch (e.failure) {
      case "denied":
        return new LinuxKitError(
          "IMAGE_PULL",
          `${domain} refused to let ${full} be pulled: ${e.message}`,
          {
            image: ref,
            hint:
              `log in to ${domain}: \`docker login ${domain}\` (the build reads the Docker config, ` +
              `${path.join(dockerConfigDir(), "config.json")}: auths, credsStore and credHelpers), ` +
              "and check that this account may pull the repository",
            cause: e,
          },
        );
      case "not-found":
        return new LinuxKitError(
          "IMAGE_NOT_FOUND",
          `image ${full} is not in ${domain}: ${e.message}`,
          {
            image: ref,
            hint: "check the name and tag (or digest); a private repository may also answer so without credentials (`docker login`)",
            cause: e,
          },
        );
      case "unreachable":
        return new LinuxKitError("REGISTRY_UNREACHABLE", `cannot pull ${full}: ${e.message}`, {
          image: ref,
          hint:
            domain === "docker.io"
              ? "check this machine's network access to Docker Hub, or set a mirror (PULUMI_LINUXKIT_REGISTRY_MIRRORS)"
              : `check that ${domain} is up and reachable from this machine`,
          cause: e,
        });
      default:
        return new LinuxKitError("IMAGE_PULL", `pulling ${full} failed: ${e.message}`, {
          image: ref,
          hint: "try again later; the registry's answer is quoted above",
          cause: e,
        });
    }
  }
}

/** The Docker engine side: what is there, and importing a root filesystem. */
import type Docker from "dockerode";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { ImageConfig } from "./images";
import { FIXED_MTIME, Layout } from "./layout";

/** The image id and labels of `ref`, or undefined if the engine lacks it. */
export async function inspectLabels(
  docker: Docker,
  ref: string,
): Promise<{ id: string; labels: Record<string, string> } | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return { id: info.Id, labels: info.Config?.Labels ?? {} };
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw new Error(`inspecting ${ref} failed: ${(e as Error).message}`, { cause: e });
  }
}

/** `docker import --change` instructions for a config. */
export function importChanges(config: ImageConfig): string[] {
  const out: string[] = [];
  if (config.entrypoint) out.push(`ENTRYPOINT ${JSON.stringify(config.entrypoint)}`);
  if (config.cmd) out.push(`CMD ${JSON.stringify(config.cmd)}`);
  for (const [k, v] of Object.entries(config.env ?? {}).sort())
    out.push(`ENV ${k}=${JSON.stringify(v)}`);
  if (config.workdir) out.push(`WORKDIR ${config.workdir}`);
  for (const [k, v] of Object.entries(config.labels ?? {}).sort()) {
    // single quotes keep the value literal (JSON's double quotes included)
    if (v.includes("'")) throw new Error(`label ${k}: values with single quotes are not supported`);
    out.push(`LABEL ${k}='${v}'`);
  }
  return out;
}

/**
 * Imports a root filesystem tar as `ref` with `config`, checks the labels
 * arrived, and removes the image `ref` named before (if now untagged).
 */
export async function importRootfs(
  docker: Docker,
  ref: string,
  tar: Readable,
  config: ImageConfig,
): Promise<string> {
  const colon = ref.lastIndexOf(":");
  const repo = ref.slice(0, colon);
  const tag = ref.slice(colon + 1);
  const before = await inspectLabels(docker, ref);
  let response: NodeJS.ReadableStream;
  try {
    response = await docker.importImage(tar, {
      repo,
      tag,
      changes: importChanges(config),
      message: "pulumi-linuxkit test image (test/images)",
    });
  } catch (e) {
    throw new Error(`importing ${ref} failed: ${(e as Error).message}`, { cause: e });
  }
  const events = await new Promise<Array<{ error?: string; errorDetail?: { message?: string } }>>(
    (resolve, reject) =>
      docker.modem.followProgress(response, (err: Error | null, out: unknown[]) =>
        err ? reject(err) : resolve(out as Array<{ error?: string }>),
      ),
  );
  const failure = events.find((e) => e.error !== undefined || e.errorDetail !== undefined);
  if (failure)
    throw new Error(`importing ${ref} failed: ${failure.error ?? failure.errorDetail?.message}`);

  const after = await inspectLabels(docker, ref);
  if (!after) throw new Error(`importing ${ref} reported success but the engine has no ${ref}`);
  for (const [k, v] of Object.entries(config.labels ?? {})) {
    if (after.labels[k] !== v) {
      throw new Error(
        `${ref}: label ${k} is ${JSON.stringify(after.labels[k])} after import, wanted ${JSON.stringify(v)}`,
      );
    }
  }
  if (before && before.id !== after.id) {
    // the previous build, now dangling; keep it if something else uses it
    await docker
      .getImage(before.id)
      .remove()
      .catch(() => undefined);
  }
  return after.id;
}

/**
 * Loads a root filesystem tar as `ref` for `architecture` (`docker load` of
 * a one-layer docker-archive whose config names the architecture: the
 * engine's import ignores `--platform`, checked on Docker 20.10), checks
 * the architecture and labels arrived, and removes the image `ref` named
 * before (if now untagged). Same bytes in → same image id.
 */
export async function loadRootfs(
  docker: Docker,
  ref: string,
  layer: Buffer,
  config: ImageConfig,
  architecture: string,
): Promise<string> {
  const before = await inspectLabels(docker, ref);
  const diffId = `sha256:${createHash("sha256").update(layer).digest("hex")}`;
  const imageConfig = Buffer.from(
    JSON.stringify({
      architecture,
      os: "linux",
      created: FIXED_MTIME.toISOString(),
      config: {
        ...(config.entrypoint ? { Entrypoint: config.entrypoint } : {}),
        ...(config.cmd ? { Cmd: config.cmd } : {}),
        ...(config.env
          ? {
              Env: Object.entries(config.env)
                .sort()
                .map(([k, v]) => `${k}=${v}`),
            }
          : {}),
        ...(config.workdir ? { WorkingDir: config.workdir } : {}),
        Labels: config.labels ?? {},
      },
      rootfs: { type: "layers", diff_ids: [diffId] },
      history: [{ created: FIXED_MTIME.toISOString(), comment: "pulumi-linuxkit test image" }],
    }),
  );
  const configName = `${createHash("sha256").update(imageConfig).digest("hex")}.json`;
  const layerName = `${diffId.slice("sha256:".length)}/layer.tar`;
  const manifest = Buffer.from(
    JSON.stringify([{ Config: configName, RepoTags: [ref], Layers: [layerName] }]),
  );
  const archive = await new Layout()
    .file(configName, imageConfig)
    .file(layerName, layer)
    .file("manifest.json", manifest)
    .tarBuffer();
  let response: NodeJS.ReadableStream;
  try {
    response = await docker.loadImage(Readable.from([archive]), { quiet: true });
  } catch (e) {
    throw new Error(`loading ${ref} failed: ${(e as Error).message}`, { cause: e });
  }
  const events = await new Promise<Array<{ error?: string; errorDetail?: { message?: string } }>>(
    (resolve, reject) =>
      docker.modem.followProgress(response, (err: Error | null, out: unknown[]) =>
        err ? reject(err) : resolve(out as Array<{ error?: string }>),
      ),
  );
  const failure = events.find((e) => e.error !== undefined || e.errorDetail !== undefined);
  if (failure)
    throw new Error(`loading ${ref} failed: ${failure.error ?? failure.errorDetail?.message}`);
  const info = await docker.getImage(ref).inspect();
  if (info.Architecture !== architecture) {
    throw new Error(
      `${ref}: architecture is ${info.Architecture} after load, wanted ${architecture}`,
    );
  }
  for (const [k, v] of Object.entries(config.labels ?? {})) {
    if (info.Config?.Labels?.[k] !== v) {
      throw new Error(
        `${ref}: label ${k} is ${JSON.stringify(info.Config?.Labels?.[k])} after load`,
      );
    }
  }
  if (before && before.id !== info.Id) {
    await docker
      .getImage(before.id)
      .remove()
      .catch(() => undefined);
  }
  return info.Id;
}

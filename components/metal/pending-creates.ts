/**
 * Device creates in flight, journaled beside the program: a record is
 * written before `POST /devices` and removed once the device is recorded
 * (in Pulumi's state or a fleet's journal). A provider killed in between
 * (SIGKILL, Ctrl-C, a crash) leaves the record, and the next create for the
 * same project and hostname adopts the device instead of making a second
 * one that bills outside Pulumi.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";

import { CREATE_TAG_PREFIX, type MetalClient } from "./metal-client";
import type { MetalCreateDeviceRequest, MetalDevice } from "./metal-types";

/** Where the records go, relative to the program folder. */
export const DEFAULT_PENDING_DIR = ".linuxkit/metal-pending";

export interface PendingCreate {
  /** The unique tag the device was created with (`linuxkit-create:<hex>`). */
  tag: string;
  apiUrl: string;
  projectId: string;
  hostname: string;
  /** Known once the API answered the POST. */
  deviceId?: string;
}

function fileOf(dir: string, tag: string): string {
  return path.join(dir, `${tag.slice(CREATE_TAG_PREFIX.length)}.json`);
}

/** Writes `rec` durably (fsync, then rename): a record must survive the crash it is for. */
async function writeRecord(dir: string, rec: PendingCreate): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = fileOf(dir, rec.tag);
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(rec)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/** Forgets a create: its device is recorded elsewhere now (or never existed). */
export async function clearPending(dir: string, tag: string): Promise<void> {
  await rm(fileOf(dir, tag), { force: true });
}

/** The records left for `hostname` in `projectId` on `apiUrl`. */
export async function pendingFor(
  dir: string,
  key: Pick<PendingCreate, "apiUrl" | "projectId" | "hostname">,
): Promise<PendingCreate[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const found: PendingCreate[] = [];
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    let rec: PendingCreate;
    try {
      rec = JSON.parse(await readFile(path.join(dir, name), "utf8")) as PendingCreate;
    } catch {
      continue; // a record torn by a crash before its rename cannot exist; anything else is not ours
    }
    if (
      rec.apiUrl === key.apiUrl &&
      rec.projectId === key.projectId &&
      rec.hostname === key.hostname
    ) {
      found.push(rec);
    }
  }
  return found;
}

/** Whether a device left by an interrupted create is what `req` asks for. */
function matches(d: MetalDevice, req: MetalCreateDeviceRequest): boolean {
  return (
    (d.plan === undefined || d.plan.slug === req.plan) &&
    (d.metro === undefined || d.metro.code === req.metro) &&
    (d.ipxe_script_url === undefined || d.ipxe_script_url === req.ipxe_script_url) &&
    d.state !== "failed"
  );
}

/**
 * Creates the device `req` describes, or adopts the one an interrupted
 * create left (same project, hostname and API). A leftover that no longer
 * matches the request (other plan, metro or script, or failed) is deleted.
 * The returned `tag` must be passed to {@link clearPending} once the
 * device is recorded.
 */
export async function createDeviceOnce(
  client: MetalClient,
  dir: string,
  projectId: string,
  req: MetalCreateDeviceRequest & { hostname: string },
): Promise<{ device: MetalDevice; tag: string; adopted: boolean }> {
  const key = { apiUrl: client.apiUrl, projectId, hostname: req.hostname };
  for (const p of await pendingFor(dir, key)) {
    const left =
      p.deviceId !== undefined
        ? await client.getDevice(p.deviceId)
        : await client.findDeviceByTag(projectId, p.tag);
    if (left !== undefined && matches(left, req)) {
      await writeRecord(dir, { ...p, deviceId: left.id });
      return { device: left, tag: p.tag, adopted: true };
    }
    if (left !== undefined) await client.deleteDevice(left.id);
    await clearPending(dir, p.tag);
  }
  const tag = `${CREATE_TAG_PREFIX}${randomBytes(8).toString("hex")}`;
  await writeRecord(dir, { tag, ...key });
  const device = await client.createDevice(projectId, req, { createTag: tag });
  await writeRecord(dir, { tag, ...key, deviceId: device.id });
  return { device, tag, adopted: false };
}

/** Tags as the user gave them: without the create tag. */
export function userTags(tags: string[] | undefined): string[] | undefined {
  return tags?.filter((t) => !t.startsWith(CREATE_TAG_PREFIX));
}

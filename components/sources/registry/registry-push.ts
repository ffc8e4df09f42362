import type { Readable } from "node:stream";

import type { RegistryClient, Repository } from "./registry-client";
import { RegistryError } from "./registry-errors";

/**
 * Uploads a blob unless the repository has it: `POST blobs/uploads/`, then
 * one `PUT` of the whole body to the Location the registry gave, with its
 * digest (the distribution spec's monolithic upload). `open` gives the
 * bytes afresh for each try.
 */
export async function pushBlob(
  client: RegistryClient,
  repo: Repository,
  digest: string,
  size: number,
  open: () => Readable,
): Promise<void> {
  try {
    await client.send(repo, `blobs/${digest}`, { method: "HEAD", push: true });
    return;
  } catch (e) {
    if (!(e instanceof RegistryError && e.failure === "not-found")) throw e;
  }
  const started = await client.send(repo, "blobs/uploads/", { method: "POST", push: true });
  const location = started.headers.get("location");
  await started.body?.cancel();
  if (!location) {
    throw new RegistryError(
      "failed",
      repo.domain,
      `${repo.domain} started an upload without a Location`,
    );
  }
  const url = new URL(location, started.url);
  url.searchParams.set("digest", digest);
  const done = await client.send(repo, url.toString(), {
    method: "PUT",
    push: true,
    headers: { "content-type": "application/octet-stream", "content-length": String(size) },
    body: open,
  });
  await done.body?.cancel();
}

/** Puts a manifest under `reference` (a tag). */
export async function pushManifest(
  client: RegistryClient,
  repo: Repository,
  reference: string,
  bytes: Buffer,
  mediaType: string,
): Promise<void> {
  const res = await client.send(repo, `manifests/${reference}`, {
    method: "PUT",
    push: true,
    headers: { "content-type": mediaType },
    body: bytes,
  });
  await res.body?.cancel();
}

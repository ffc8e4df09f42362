/** What went wrong talking to a registry, for the image source to turn into a user error. */
export type RegistryFailure =
  /** No connection at all (refused, no such host, TLS failure, reset). */
  | "unreachable"
  /** 401/403 after every credential there is. */
  | "denied"
  /** 404, or the registry's MANIFEST_UNKNOWN / BLOB_UNKNOWN / NAME_UNKNOWN. */
  | "not-found"
  /** Bytes that do not hash to the digest asked for, or a document that is not what it claims. */
  | "corrupt"
  /** Any other status, after the retries. */
  | "failed";

export class RegistryError extends Error {
  constructor(
    readonly failure: RegistryFailure,
    /** The registry as references name it, e.g. `docker.io` or `127.0.0.1:5000`. */
    readonly domain: string,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RegistryError";
  }
}

/** The registry's own words from an error body (`{"errors":[{"code","message"}]}`), else the status text. */
export function registryWords(body: string, statusText: string): string {
  try {
    const doc = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    const first = doc.errors?.[0];
    if (first) return [first.code, first.message].filter(Boolean).join(": ");
  } catch {
    // not JSON
  }
  return body.trim().slice(0, 200) || statusText;
}

/** The low-level cause of a failed fetch (`ECONNREFUSED`, `ENOTFOUND`, a TLS code), else its message. */
export function networkCause(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message ?? String(e);
}

/**
 * Where the Metal providers find the API token and endpoint: an `authToken`
 * input (stored as a secret output, so every operation gets it back from
 * the engine), the secret stack setting `metal:authToken`, or
 * METAL_AUTH_TOKEN, read when a provider runs.
 */
import { LinuxKitError } from "../../errors/errors";
import { MetalClient } from "../../metal/metal-client";

/** Environment variables read when the provider runs. */
export const METAL_TOKEN_ENV = "METAL_AUTH_TOKEN";
export const METAL_API_URL_ENV = "METAL_API_URL";
/** First retry delay in ms (doubling each attempt); default 1000. Tests shorten it. */
export const METAL_RETRY_BASE_MS_ENV = "LINUXKIT_METAL_RETRY_BASE_MS";
/** ms before an unanswered request is given up (then retried); default 60000. Tests shorten it. */
export const METAL_REQUEST_TIMEOUT_MS_ENV = "LINUXKIT_METAL_REQUEST_TIMEOUT_MS";
/** Stack configuration keys read when the provider runs (`pulumi config set --secret metal:authToken ...`). */
export const METAL_TOKEN_CONFIG = "metal:authToken";
export const METAL_API_URL_CONFIG = "metal:apiUrl";

/** What the engine hands a provider's `configure`. */
export interface ProviderConfigRequest {
  config: { get(key: string): string | undefined };
}

/**
 * The stack settings one provider process was configured with. Each
 * provider process serves one stack, so this is per process, not a cache.
 */
export class MetalCredentials {
  private authToken: string | undefined;
  private apiUrl: string | undefined;

  /** Takes `metal:authToken` and `metal:apiUrl` from the engine's configure call. */
  configure(req: ProviderConfigRequest): void {
    this.authToken = req.config.get(METAL_TOKEN_CONFIG) ?? this.authToken;
    this.apiUrl = req.config.get(METAL_API_URL_CONFIG) ?? this.apiUrl;
  }

  /** A client with the first token and endpoint found, or an error saying where to set one. */
  client(given: { authToken?: string; apiUrl?: string } = {}): MetalClient {
    const token = given.authToken ?? this.authToken ?? process.env[METAL_TOKEN_ENV];
    if (token === undefined || token === "") {
      throw new LinuxKitError("METAL_API", "no Metal API token", {
        field: "authToken",
        hint: `give the resource an authToken (as a secret), run \`pulumi config set --secret ${METAL_TOKEN_CONFIG} <token>\`, or set ${METAL_TOKEN_ENV}`,
      });
    }
    const baseDelayMs = Number(process.env[METAL_RETRY_BASE_MS_ENV]);
    const requestTimeoutMs = Number(process.env[METAL_REQUEST_TIMEOUT_MS_ENV]);
    return new MetalClient({
      apiUrl: given.apiUrl ?? this.apiUrl ?? process.env[METAL_API_URL_ENV],
      authToken: token,
      ...(baseDelayMs >= 0 && process.env[METAL_RETRY_BASE_MS_ENV] !== undefined
        ? { retry: { baseDelayMs } }
        : {}),
      ...(requestTimeoutMs > 0 ? { requestTimeoutMs } : {}),
    });
  }
}

import { LinuxKitError } from "../errors/errors";

interface DockerishError {
  code?: string;
  statusCode?: number;
  address?: string;
  message?: string;
  json?: { message?: string };
}

/**
 * The engine answered with a failure: an HTTP status outside 2xx, or an
 * error line in a progress stream. `json.message` holds the engine's own
 * words, as in dockerode's errors.
 */
export class EngineReplyError extends Error {
  readonly statusCode?: number;
  readonly json: { message: string };

  constructor(message: string, statusCode?: number) {
    super(message);
    this.name = "EngineReplyError";
    this.statusCode = statusCode;
    this.json = { message };
  }
}

/** True when the error means the engine could not be reached at all. */
export function isEngineUnreachable(e: unknown): boolean {
  const code = (e as DockerishError | undefined)?.code;
  return code === "ENOENT" || code === "ECONNREFUSED" || code === "EACCES" || code === "ECONNRESET";
}

/** The engine's own words from an engine client error. */
export function engineMessage(e: unknown): string {
  const err = e as DockerishError | undefined;
  return (err?.json?.message ?? err?.message ?? String(e)).trim();
}

/** A DOCKER_UNREACHABLE error with how to fix it. */
export function engineUnreachable(e: unknown, endpoint: string): LinuxKitError {
  const denied = (e as DockerishError | undefined)?.code === "EACCES";
  return new LinuxKitError(
    "DOCKER_UNREACHABLE",
    `cannot reach the Docker engine at ${endpoint}: ${engineMessage(e)}`,
    {
      hint: denied
        ? "this user may not open the engine's socket: add it to the `docker` group (then log in again), " +
          "run the build as a user who may, or point DOCKER_HOST at an engine you can reach"
        : "start it (`dockerd &` or `systemctl start docker`), or point DOCKER_HOST at a running engine",
      cause: e,
    },
  );
}

import { LinuxKitError } from "../errors";

interface DockerishError {
  code?: string;
  statusCode?: number;
  address?: string;
  message?: string;
  json?: { message?: string };
}

/** True when the error means the engine could not be reached at all. */
export function isEngineUnreachable(e: unknown): boolean {
  const code = (e as DockerishError | undefined)?.code;
  return code === "ENOENT" || code === "ECONNREFUSED" || code === "EACCES" || code === "ECONNRESET";
}

/** The engine's own words from a dockerode error. */
export function engineMessage(e: unknown): string {
  const err = e as DockerishError | undefined;
  return (err?.json?.message ?? err?.message ?? String(e)).trim();
}

/** A DOCKER_UNREACHABLE error with how to fix it. */
export function engineUnreachable(e: unknown, endpoint: string): LinuxKitError {
  return new LinuxKitError(
    "DOCKER_UNREACHABLE",
    `cannot reach the Docker engine at ${endpoint}: ${engineMessage(e)}`,
    {
      hint: "start it (`dockerd &` or `systemctl start docker`), or point DOCKER_HOST at a running engine",
      cause: e,
    },
  );
}

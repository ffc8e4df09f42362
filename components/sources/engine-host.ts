import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { LinuxKitError } from "../errors/errors";

/**
 * Where the Docker engine is, read from DOCKER_HOST the way the docker CLI
 * and docker-modem read it. A local socket or a plain TCP engine is spoken
 * to by our own client (`engine-api.ts`); an engine behind TLS, ssh or a
 * Windows named pipe is left to dockerode, which knows those transports.
 */
export type EngineAddress =
  | { kind: "unix"; socketPath: string }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "dockerode"; why: string };

/** Docker Desktop's per-user socket when it exists, else the system socket (docker-modem's rule). */
export function defaultUnixSocket(home: string = os.homedir()): string {
  const user = path.join(home, ".docker", "run", "docker.sock");
  return existsSync(user) ? user : "/var/run/docker.sock";
}

/** The engine address the environment names (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). */
export function engineAddress(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): EngineAddress {
  const host = env.DOCKER_HOST;
  if (!host) {
    return platform === "win32"
      ? { kind: "dockerode", why: "the Windows named pipe" }
      : { kind: "unix", socketPath: defaultUnixSocket() };
  }
  if (host.startsWith("unix://")) {
    return { kind: "unix", socketPath: host.slice("unix://".length) || defaultUnixSocket() };
  }
  if (host.startsWith("npipe://")) return { kind: "dockerode", why: "a Windows named pipe" };
  let url: URL;
  try {
    url = new URL(host.includes("//") ? host : `tcp://${host}`);
  } catch {
    throw badHost(host, "it is not an address");
  }
  if (url.protocol === "ssh:") return { kind: "dockerode", why: "ssh" };
  if (url.protocol !== "tcp:" && url.protocol !== "http:" && url.protocol !== "https:") {
    throw badHost(host, `its scheme ${url.protocol}// is not one the build can use`);
  }
  const tls =
    url.protocol === "https:" ||
    url.port === "2376" ||
    Boolean(env.DOCKER_TLS_VERIFY) ||
    Boolean(env.DOCKER_CERT_PATH);
  if (tls) return { kind: "dockerode", why: "TLS" };
  // dockerode also honours these two; leave such set-ups to it
  if (env.DOCKER_PATH_PREFIX || env.DOCKER_CLIENT_TIMEOUT) {
    return { kind: "dockerode", why: "DOCKER_PATH_PREFIX or DOCKER_CLIENT_TIMEOUT" };
  }
  if (url.hostname === "") throw badHost(host, "it names no host");
  return {
    kind: "tcp",
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? 2375 : Number(url.port),
  };
}

function badHost(host: string, why: string): LinuxKitError {
  const shown = host.replace(/\/\/[^/@]*@/, "//...@"); // no user:password in messages
  return new LinuxKitError("DOCKER_UNREACHABLE", `DOCKER_HOST=${shown} is not usable: ${why}`, {
    hint:
      "set DOCKER_HOST to unix:///path/to/docker.sock, tcp://host:2375 (add DOCKER_TLS_VERIFY=1 " +
      "and DOCKER_CERT_PATH for TLS) or ssh://user@host, or unset it to use the local engine",
  });
}

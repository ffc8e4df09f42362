import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface RegistryAuth {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress: string;
  identitytoken?: string;
}

interface DockerConfigFile {
  auths?: Record<
    string,
    { auth?: string; identitytoken?: string; username?: string; password?: string }
  >;
}

/** The key Docker's config uses for a registry host. */
function configKeys(domain: string): string[] {
  if (domain === "docker.io") {
    return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];
  }
  return [domain, `https://${domain}`, `http://${domain}`];
}

/**
 * Credentials for `domain` from the Docker client config
 * (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`), or
 * undefined. Credential helpers (`credsStore`) are not consulted.
 */
export async function registryAuthFor(domain: string): Promise<RegistryAuth | undefined> {
  const dir = process.env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker");
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await readFile(path.join(dir, "config.json"), "utf8")) as DockerConfigFile;
  } catch {
    return undefined;
  }
  for (const key of configKeys(domain)) {
    const entry = config.auths?.[key];
    if (entry === undefined) continue;
    if (entry.identitytoken) return { serveraddress: key, identitytoken: entry.identitytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const sep = decoded.indexOf(":");
      if (sep > 0) {
        return {
          serveraddress: key,
          username: decoded.slice(0, sep),
          password: decoded.slice(sep + 1),
        };
      }
    }
    if (entry.username && entry.password) {
      return { serveraddress: key, username: entry.username, password: entry.password };
    }
  }
  return undefined;
}

/**
 * The X-Registry-Auth header value for `auth`: its JSON in base64url with
 * padding, as the docker CLI sends it (the engine decodes it with Go's
 * base64.URLEncoding, which wants the padding).
 */
export function registryAuthHeader(auth: RegistryAuth): string {
  return Buffer.from(JSON.stringify(auth), "utf8")
    .toString("base64")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}

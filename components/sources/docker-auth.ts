import { execFile } from "node:child_process";
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
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** The folder of the Docker client config: `$DOCKER_CONFIG`, default `~/.docker`. */
export function dockerConfigDir(): string {
  return process.env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker");
}

/** The keys Docker's config may use for a registry host, the CLI's own first. */
function configKeys(domain: string): string[] {
  if (domain === "docker.io") {
    return ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];
  }
  return [domain, `https://${domain}`, `http://${domain}`];
}

/** The server name the docker CLI hands a credential helper for `domain`. */
function helperServer(domain: string): string {
  return domain === "docker.io" ? "https://index.docker.io/v1/" : domain;
}

/** How long a credential helper may take (a keychain prompt must not hang a build). */
const HELPER_TIMEOUT_MS = 30_000;

/**
 * Runs `docker-credential-<helper> get` as the docker CLI does: the server
 * on stdin, `{ServerURL, Username, Secret}` on stdout. A username of
 * `<token>` means the secret is an identity token. A helper that is not
 * installed, fails, or knows nothing of the server gives undefined (as the
 * docker CLI pulls anonymously then); what it printed never reaches a log.
 */
export function credentialsFromHelper(
  helper: string,
  domain: string,
): Promise<RegistryAuth | undefined> {
  const server = helperServer(domain);
  return new Promise((resolve) => {
    const child = execFile(
      `docker-credential-${helper}`,
      ["get"],
      { timeout: HELPER_TIMEOUT_MS, maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error) return resolve(undefined);
        try {
          const reply = JSON.parse(stdout) as { Username?: string; Secret?: string };
          if (!reply.Secret) return resolve(undefined);
          if (reply.Username === "<token>" || !reply.Username) {
            return resolve({ serveraddress: server, identitytoken: reply.Secret });
          }
          resolve({ serveraddress: server, username: reply.Username, password: reply.Secret });
        } catch {
          resolve(undefined);
        }
      },
    );
    child.on("error", () => resolve(undefined));
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(server);
  });
}

function fromAuths(config: DockerConfigFile, domain: string): RegistryAuth | undefined {
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
 * Credentials for `domain` from the Docker client config
 * (`$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`), looked
 * up as the docker CLI does: a `credHelpers` entry for the registry first,
 * else the `credsStore` helper, else `auths`. Undefined when none apply.
 */
export async function registryAuthFor(domain: string): Promise<RegistryAuth | undefined> {
  let config: DockerConfigFile;
  try {
    config = JSON.parse(
      await readFile(path.join(dockerConfigDir(), "config.json"), "utf8"),
    ) as DockerConfigFile;
  } catch {
    return undefined;
  }
  const helper = configKeys(domain)
    .map((k) => config.credHelpers?.[k])
    .find((h) => h !== undefined && h !== "");
  if (helper !== undefined) return credentialsFromHelper(helper, domain);
  if (config.credsStore) {
    const stored = await credentialsFromHelper(config.credsStore, domain);
    if (stored !== undefined) return stored;
  }
  return fromAuths(config, domain);
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

import { readFileSync } from "node:fs";
import net from "node:net";

/** Where the registry source finds registries: mirrors for Docker Hub, and which may use plain HTTP. */
export interface RegistrySettings {
  /**
   * Mirrors of Docker Hub tried in order before it (`https://mirror.example.com`,
   * `http://127.0.0.1:5000`), as dockerd's `registry-mirrors`.
   */
  mirrors: string[];
  /** Registries (`host[:port]`) that may be spoken to over plain HTTP. Loopback always may. */
  insecure: string[];
}

/** Docker Hub's API host: `docker.io` names it in references only. */
export const DOCKER_HUB_API = "registry-1.docker.io";

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/**
 * The settings in force: `PULUMI_LINUXKIT_REGISTRY_MIRRORS` and
 * `PULUMI_LINUXKIT_INSECURE_REGISTRIES` (comma-separated), plus dockerd's
 * `registry-mirrors` and `insecure-registries` from `/etc/docker/daemon.json`
 * (path overridable with `PULUMI_LINUXKIT_DAEMON_JSON`), so a machine set up
 * for the engine pulls the same way without one.
 */
export function registrySettingsFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): RegistrySettings {
  const settings: RegistrySettings = {
    mirrors: list(env.PULUMI_LINUXKIT_REGISTRY_MIRRORS),
    insecure: list(env.PULUMI_LINUXKIT_INSECURE_REGISTRIES),
  };
  try {
    const daemon = JSON.parse(
      readFileSync(env.PULUMI_LINUXKIT_DAEMON_JSON ?? "/etc/docker/daemon.json", "utf8"),
    ) as { "registry-mirrors"?: unknown; "insecure-registries"?: unknown };
    const strings = (v: unknown): string[] =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
    settings.mirrors.push(...strings(daemon["registry-mirrors"]));
    settings.insecure.push(...strings(daemon["insecure-registries"]));
  } catch {
    // no daemon.json, or not JSON: nothing from there
  }
  return settings;
}

/** True for `localhost`, 127.0.0.0/8 and ::1, with or without a port. */
export function isLoopbackHost(host: string): boolean {
  let name = host;
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracket) name = bracket[1]!;
  else if (host.split(":").length === 2) name = host.split(":")[0]!;
  if (name === "localhost") return true;
  if (net.isIPv4(name)) return name.startsWith("127.");
  return name === "::1";
}

/** One base URL a registry's API is reached at, e.g. `https://registry-1.docker.io`. */
export interface Endpoint {
  /** `https://host[:port]` or `http://...`, no trailing slash. */
  base: string;
  /** The registry as references name it (`docker.io`, `127.0.0.1:5000`), for credentials and messages. */
  domain: string;
  /** True for a Docker Hub mirror: failures there fall through to the next endpoint. */
  mirror: boolean;
}

function insecureAllowed(host: string, settings: RegistrySettings): boolean {
  return isLoopbackHost(host) || settings.insecure.includes(host);
}

/**
 * The endpoints to try for images of `domain`, in order: Docker Hub's
 * mirrors first (only for `docker.io`, as dockerd does), then the registry
 * itself. HTTPS always, except for loopback and listed insecure registries.
 */
export function endpointsFor(domain: string, settings: RegistrySettings): Endpoint[] {
  const out: Endpoint[] = [];
  if (domain === "docker.io") {
    for (const m of settings.mirrors) {
      let url: URL;
      try {
        url = new URL(m.includes("://") ? m : `https://${m}`);
      } catch {
        continue;
      }
      if (url.protocol === "http:" && !insecureAllowed(url.host, settings)) continue;
      out.push({ base: `${url.protocol}//${url.host}`, domain, mirror: true });
    }
  }
  const host = domain === "docker.io" ? DOCKER_HUB_API : domain;
  const scheme = insecureAllowed(host, settings) ? "http" : "https";
  out.push({ base: `${scheme}://${host}`, domain, mirror: false });
  return out;
}

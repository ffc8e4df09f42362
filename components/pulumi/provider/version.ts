/**
 * The plugin's version: the package version, which the plugin build
 * writes into the bundle (`LINUXKIT_PLUGIN_VERSION`); unbundled (tests
 * running dist/), read from the package.json above this file.
 */
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";

declare const LINUXKIT_PLUGIN_VERSION: string | undefined;

export function pluginVersion(): string {
  if (typeof LINUXKIT_PLUGIN_VERSION === "string") return LINUXKIT_PLUGIN_VERSION;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "pulumi-linuxkit" && pkg.version !== undefined) return pkg.version;
    }
    if (path.dirname(dir) === dir)
      throw new Error("pulumi-linuxkit: package.json not found above the plugin");
  }
}

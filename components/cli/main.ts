import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { publishedByThisProcess } from "../pipeline/publish";
import { removeActiveScratchDirsSync } from "../pipeline/scratch-dir";
import { LinuxKitError } from "../errors/errors";

// Each command's module (and what it needs: the Docker client, the YAML
// parser, the format writers, the qemu runtime) loads only when it runs.
/* eslint-disable @typescript-eslint/no-require-imports */
const buildModule = (): typeof import("./build-command") =>
  require("./build-command") as typeof import("./build-command");
const runQemuModule = (): typeof import("./run-qemu-command") =>
  require("./run-qemu-command") as typeof import("./run-qemu-command");
const serveModule = (): typeof import("./serve-command") =>
  require("./serve-command") as typeof import("./serve-command");
const cacheModule = (): typeof import("./cache-command") =>
  require("./cache-command") as typeof import("./cache-command");
/* eslint-enable @typescript-eslint/no-require-imports */

const PACKAGE_NAME = "pulumi-linuxkit";

const usage = (): string => `usage: pulumi-linuxkit <command> [options]

Commands:
  build      build a LinuxKit image from YAML (like \`linuxkit build\`)
  run qemu   boot a built image under qemu (like \`linuxkit run qemu\`)
  serve      serve a build folder over HTTP (like \`linuxkit serve\`)
  cache      list, remove, prune, export or import the registry source's image cache
  version    print the version
  help       show this help (also \`<command> --help\`)

${buildModule().BUILD_USAGE}

${runQemuModule().RUN_QEMU_USAGE}

${serveModule().SERVE_USAGE}

${cacheModule().CACHE_USAGE}`;

/** Prints a user error without a stack; anything else is a bug and keeps its stack. */
export function reportError(e: unknown, err: (line: string) => void): number {
  if (e instanceof LinuxKitError) {
    err(`error: ${e.describe()}`);
    if (process.env.LINUXKIT_DEBUG && e.cause instanceof Error)
      err(e.cause.stack ?? String(e.cause));
    return e.code === "USAGE" ? 2 : 1;
  }
  err(`internal error (please report): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return 70;
}

/**
 * What an interrupted build says: publishing is one uninterrupted section
 * (pipeline/publish.ts), so a signal comes before it (nothing published) or
 * after it (the build is published, e.g. during the cache-repo push).
 */
export function interruptedMessage(signal: string, published: readonly string[]): string {
  return published.length === 0
    ? `interrupted (${signal}): nothing was published`
    : `interrupted (${signal}) after the build was published in ${published.join(", ")}`;
}

/** On Ctrl-C or SIGTERM, remove half-built scratch output and temporary folders before exiting. */
function exitCleanlyOnSignals(): void {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      removeActiveScratchDirsSync();
      process.stderr.write(`${interruptedMessage(signal, publishedByThisProcess())}\n`);
      process.exit(128 + (signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1));
    });
  }
}

/** True when the arguments ask for help rather than work. */
function wantsHelp(args: readonly string[]): boolean {
  return args.some((a) => a === "--help" || a === "-h" || a === "-help");
}

/**
 * This package's version, from its package.json: the nearest one above
 * this file that names the package, so it is found from dist/, from the
 * sources run with ts-node, or from an installed copy alike.
 */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && pkg.version !== undefined) return pkg.version;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`no package.json of ${PACKAGE_NAME} above ${__dirname}`);
    }
  }
}

/** The command line entry point; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const err = (line: string): void => void process.stderr.write(`${line}\n`);
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "build":
        if (wantsHelp(rest)) return (out(buildModule().BUILD_USAGE), 0);
        exitCleanlyOnSignals();
        return await buildModule().buildCommand(rest, out);
      case "run":
        if (wantsHelp(rest)) return (out(runQemuModule().RUN_QEMU_USAGE), 0);
        if (rest[0] !== "qemu") {
          throw new LinuxKitError("USAGE", `run ${rest[0] ?? ""}: only "run qemu" is supported`, {
            hint: runQemuModule().RUN_QEMU_USAGE,
          });
        }
        return await runQemuModule().runQemuCommand(rest.slice(1));
      case "version":
      case "--version":
      case "-version":
        out(`pulumi-linuxkit ${packageVersion()}`);
        return 0;
      case "serve":
        if (wantsHelp(rest)) return (out(serveModule().SERVE_USAGE), 0);
        return await serveModule().serveCommand(rest, out, err);
      case "cache":
        if (wantsHelp(rest)) return (out(cacheModule().CACHE_USAGE), 0);
        return await cacheModule().cacheCommand(rest, out);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        out(usage());
        return command === undefined ? 2 : 0;
      default:
        throw new LinuxKitError("USAGE", `unknown command "${command}"`, {
          hint: "run `pulumi-linuxkit help`",
        });
    }
  } catch (e) {
    return reportError(e, err);
  }
}

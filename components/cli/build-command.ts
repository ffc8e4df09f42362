import path from "node:path";

import { parseCommandArgs } from "./argv";
import { LinuxKitError } from "../errors/errors";
import { DEFAULT_GZIP_LEVEL, gzipLevelHint } from "../formats/blocks/gzip-level";

export const BUILD_USAGE = `usage: pulumi-linuxkit build [--format F]... [--dir DIR] [--name NAME] [--size SIZE] [--gzip-level N] [--pull] [--no-cache] FILE.yml [MORE.yml...]

Builds a LinuxKit image from one or more YAML files (later files append to
earlier ones; kernel settings are last-wins), with images from the Docker engine.

  --format F    output format, may repeat (default: the formats of the YAML's
                \`outputs:\` section if it has one, else kernel+initrd)
  --dir DIR     output directory (default: the current directory)
  --name NAME   base name of the outputs (default: the first file's name without extension)
  --size SIZE   disk size for disk formats, e.g. 1024M or 1G
  --gzip-level N
                gzip level of the initrd, 0 (store) to 9 (smallest); default ${DEFAULT_GZIP_LEVEL}
  --pull        pull images even when the engine has them
  --no-cache    build even when an identical previous build is present`;

/** Parses `1G`, `512M`, `1024` (MiB) into MiB. */
export function parseSizeMiB(text: string): number {
  const m = /^(\d+)\s*([kKmMgG]?)i?[bB]?$/.exec(text.trim());
  if (!m)
    throw new LinuxKitError("USAGE", `--size ${text}: not a size`, {
      hint: "write it like 1024M or 2G",
    });
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toUpperCase();
  const mib = unit === "G" ? n * 1024 : unit === "K" ? Math.ceil(n / 1024) : n;
  if (mib < 1)
    throw new LinuxKitError("USAGE", `--size ${text}: a disk needs at least 1 MiB`, {
      hint: "write it like 1024M or 2G",
    });
  return mib;
}

/** Parses `--gzip-level`: a whole number from 0 to 9. */
export function parseGzipLevel(text: string): number {
  if (!/^\d$/.test(text.trim()))
    throw new LinuxKitError("USAGE", `--gzip-level ${text}: not a whole number from 0 to 9`, {
      hint: gzipLevelHint("initrd"),
    });
  return Number(text.trim());
}

/** The default output name: the first file's base name without `.yml`/`.yaml`. */
export function defaultName(file: string): string {
  return path.basename(file).replace(/\.(ya?ml)$/i, "");
}

export async function buildCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      format: { type: "string", multiple: true, short: "f" },
      dir: { type: "string", short: "d" },
      name: { type: "string", short: "n" },
      size: { type: "string" },
      "gzip-level": { type: "string" },
      pull: { type: "boolean" },
      "no-cache": { type: "boolean" },
    },
    BUILD_USAGE,
  );
  if (positionals.length === 0) {
    throw new LinuxKitError("USAGE", "build needs at least one YAML file", { hint: BUILD_USAGE });
  }
  const gzipLevel =
    values["gzip-level"] === undefined ? undefined : parseGzipLevel(values["gzip-level"]);
  // Loaded here, not at the top: `build --help` and `help` need neither.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { chooseFormats, loadSpecFiles } = require("../config") as typeof import("../config");
  const { build } = require("../pipeline/pipeline") as typeof import("../pipeline/pipeline");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const parsed = await loadSpecFiles(positionals);
  const choice = chooseFormats(values.format, parsed.spec);
  if (choice.overridden !== undefined) {
    out(
      `Formats from --format (${choice.formats.join(", ")}) override the configuration's outputs: (${choice.overridden.join(", ")})`,
    );
  }
  const started = Date.now();
  const result = await build({
    spec: parsed.spec,
    locations: parsed.locations,
    baseDir: path.dirname(path.resolve(positionals[0]!)),
    name: values.name ?? defaultName(positionals[0]!),
    outputDir: values.dir ?? process.cwd(),
    formats: choice.formats,
    diskSizeMiB: values.size === undefined ? undefined : parseSizeMiB(values.size),
    gzipLevel,
    pull: values.pull,
    noCache: values["no-cache"],
    log: out,
    onPullProgress: (p) => {
      if (/Pulling from|Downloaded newer|Status:/.test(p.status))
        out(`Pull image: ${p.ref}: ${p.status}`);
    },
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  out(
    `${result.cached ? "Reused" : "Built"} ${result.artifacts.length} artifact(s) in ${secs}s (key ${result.cacheKey.slice(0, 12)})`,
  );
  return 0;
}

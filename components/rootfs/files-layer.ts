import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { LinuxKitError } from "../errors/errors";
import type { FileSpec, SourceLocation } from "../config/types";
import { completeHeader, FIXED_MTIME, normaliseName } from "../tar/tar-header";
import type { TarSpool } from "../tar/tar-spool";

export interface FilesLayerContext {
  /** Container name → uid/gid, for `uid: <name>`. */
  idFor(name: string): number | undefined;
  /** Bytes of the resolved configuration for `metadata: yaml|json`. */
  metadata(kind: string): Buffer;
  /** Where `files[i].<field>` is written, for error messages. */
  locate?(field: string): SourceLocation | undefined;
  /** Directory relative `source` paths are read from. Default: the current directory. */
  baseDir?: string;
}

/** Parses an octal mode string; LinuxKit's defaults when absent. */
export function fileMode(f: FileSpec): number {
  if (f.mode === undefined || f.mode === "") return f.directory ? 0o700 : 0o600;
  return parseInt(f.mode, 8);
}

/** The mode of a parent directory created for a file: every class that can read gets search. */
export function parentDirMode(mode: number): number {
  let m = mode & 0o7777;
  if (m & 0o700) m |= 0o100;
  if (m & 0o070) m |= 0o010;
  if (m & 0o007) m |= 0o001;
  return m;
}

function located(
  ctx: FilesLayerContext,
  field: string,
): { file?: string; line?: number; column?: number } {
  const loc = ctx.locate?.(field);
  return loc === undefined ? {} : { file: loc.file, line: loc.line, column: loc.column };
}

function resolveId(
  value: number | string | undefined,
  field: string,
  ctx: FilesLayerContext,
): number {
  if (value === undefined) return 0;
  if (typeof value === "number") return value;
  if (/^\d+$/.test(value)) return Number(value);
  const id = ctx.idFor(value);
  if (id === undefined) {
    throw new LinuxKitError("SPEC_INVALID", `${field}: no container is named "${value}"`, {
      ...located(ctx, field),
      field,
      hint: "use a number, or the name of an onboot, onshutdown or service entry",
    });
  }
  return id;
}

/** Expands `~/` and resolves a relative path against `baseDir`. */
export function resolveSourcePath(source: string, baseDir?: string): string {
  const expanded = source.startsWith("~/") ? path.join(os.homedir(), source.slice(2)) : source;
  return path.resolve(baseDir ?? process.cwd(), expanded);
}

/**
 * Adds the `files` section. Missing parent directories are created with the
 * file's owner and a mode derived from the file's (as LinuxKit does), but
 * unlike LinuxKit an existing directory keeps its mode and owner: LinuxKit
 * rewrites every parent, so a default-mode file in `etc/` would make `/etc`
 * mode 0700.
 */
export async function addFilesLayer(
  spool: TarSpool,
  files: FileSpec[],
  ctx: FilesLayerContext,
): Promise<void> {
  for (const [i, f] of files.entries()) {
    const field = `files[${i}]`;
    const name = normaliseName(f.path);
    if (name === "" || name.split("/").includes("..")) {
      throw new LinuxKitError(
        "PATH_ESCAPE",
        `${field}.path "${f.path}" does not name a path inside the image`,
        {
          ...located(ctx, `${field}.path`),
          field: `${field}.path`,
          hint: "use a path below / without `..` components, e.g. etc/app/config.json",
        },
      );
    }
    const mode = fileMode(f);
    const uid = resolveId(f.uid, `${field}.uid`, ctx);
    const gid = resolveId(f.gid, `${field}.gid`, ctx);
    const common = { name, mode, uid, gid, mtime: FIXED_MTIME };

    let source: { path: string; size: number } | undefined;
    if (f.source !== undefined && f.source !== "") {
      const sourcePath = resolveSourcePath(f.source, ctx.baseDir);
      try {
        const st = await stat(sourcePath);
        if (!st.isFile()) {
          throw new LinuxKitError(
            "FILE_SOURCE",
            `${field}.source ${sourcePath} is not a regular file`,
            {
              ...located(ctx, `${field}.source`),
              field: `${field}.source`,
              hint: "point source at a file; use `directory: true` to create an empty directory",
            },
          );
        }
        source = { path: sourcePath, size: st.size };
      } catch (e) {
        if (e instanceof LinuxKitError) throw e;
        if (f.optional) continue;
        throw new LinuxKitError(
          "FILE_SOURCE",
          `${field}.source ${sourcePath} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
          {
            ...located(ctx, `${field}.source`),
            field: `${field}.source`,
            hint: "create the file, fix the path (relative paths are read from the YAML file's folder), or add `optional: true`",
            cause: e,
          },
        );
      }
    }

    const dirMode = parentDirMode(mode);
    const parts = name.split("/");
    for (let depth = 1; depth < parts.length; depth++) {
      const parent = parts.slice(0, depth).join("/");
      if (!spool.has(parent)) {
        await spool.addBuffer({
          name: parent,
          type: "directory",
          mode: dirMode,
          uid,
          gid,
          mtime: FIXED_MTIME,
        });
      }
    }

    if (f.directory) {
      await spool.addBuffer({ ...common, type: "directory" });
    } else if (f.symlink !== undefined && f.symlink !== "") {
      await spool.addBuffer({ ...common, type: "symlink", linkname: f.symlink });
    } else if (source !== undefined) {
      await spool.addStream(
        completeHeader({ ...common, type: "file", size: source.size }),
        createReadStream(source.path),
      );
    } else if (f.metadata !== undefined && f.metadata !== "") {
      await spool.addBuffer({ ...common, type: "file" }, ctx.metadata(f.metadata));
    } else {
      await spool.addBuffer({ ...common, type: "file" }, Buffer.from(f.contents ?? "", "utf8"));
    }
  }
}

/**
 * The output formats table. Adding a format is one file exporting an
 * {@link OutputFormat} and one row in {@link formatTable}; names listed in
 * {@link PLANNED_FORMATS} are LinuxKit formats not written yet, reported
 * as "not supported yet" rather than unknown.
 */
import { PLANNED_OUTPUT_FORMATS } from "../config/vocabulary";
import { isLinuxKitError, LinuxKitError, LinuxKitErrors } from "../errors/errors";
import { kernelInitrdFormat } from "./writers/kernel-initrd";
import { tarFormat } from "./writers/tar";
import { tarKernelInitrdFormat } from "./writers/tar-kernel-initrd";
import { isoBiosFormat } from "./writers/iso-bios";
import { isoEfiFormat } from "./writers/iso-efi";
import { isoEfiInitrdFormat } from "./writers/iso-efi-initrd";
import { kernelIsoFormat } from "./writers/iso-kernel";
import { gcpFormat } from "./writers/gcp";
import { qcow2BiosFormat, qcow2EfiFormat } from "./writers/qcow2";
import { awsFormat } from "./writers/raw-aws";
import { rawBiosFormat } from "./writers/raw-bios";
import { rawEfiFormat } from "./writers/raw-efi";
import { dynamicVhdFormat, vhdFormat } from "./writers/vhd";
import { vmdkFormat } from "./writers/vmdk";
import { kernelSquashfsFormat } from "./writers/kernel-squashfs";
import { dockerFormat } from "./writers/docker";
import { requireTool } from "./blocks/tools";
import type { Artifact, FormatContext, OutputFormat } from "./blocks/types";

export type {
  Artifact,
  FormatContext,
  FormatOptions,
  OutputFormat,
  ToolRequirement,
} from "./blocks/types";

/** Every implemented format, by name. */
export const formatTable: ReadonlyMap<string, OutputFormat> = new Map(
  [
    kernelInitrdFormat,
    tarFormat,
    tarKernelInitrdFormat,
    isoBiosFormat,
    isoEfiFormat,
    isoEfiInitrdFormat,
    kernelIsoFormat,
    rawBiosFormat,
    rawEfiFormat,
    qcow2BiosFormat,
    qcow2EfiFormat,
    gcpFormat,
    vhdFormat,
    dynamicVhdFormat,
    vmdkFormat,
    awsFormat,
    kernelSquashfsFormat,
    dockerFormat,
  ].map((f) => [f.name, f]),
);

/** LinuxKit's other output formats (moby/build/output.go), not implemented yet. */
export const PLANNED_FORMATS: readonly string[] = PLANNED_OUTPUT_FORMATS;

/** Files several formats write with identical bytes (for the name `NAME`). */
const SHARED_FILES = new Set(["NAME-kernel", "NAME-cmdline"]);

/** Names of the implemented formats, sorted. */
export function formatNames(): string[] {
  return [...formatTable.keys()].sort();
}

/**
 * The format names given, in first-mention order with duplicates dropped.
 * Throws FORMAT_UNKNOWN (one error per bad name, all at once) so a build
 * can fail before any work starts.
 */
export function validateFormats(names: readonly string[]): string[] {
  return resolveFormats(names).map((f) => f.name);
}

/** Like {@link validateFormats}, returning the table rows. */
export function resolveFormats(names: readonly string[]): OutputFormat[] {
  const valid = formatNames().join(", ");
  const found: OutputFormat[] = [];
  const errors: LinuxKitError[] = [];
  for (const name of new Set(names)) {
    const format = formatTable.get(name);
    if (format !== undefined) {
      found.push(format);
    } else if (PLANNED_FORMATS.includes(name)) {
      errors.push(
        new LinuxKitError("FORMAT_UNKNOWN", `output format ${name} is not supported yet`, {
          field: "format",
          hint: `formats available now: ${valid}`,
        }),
      );
    } else {
      errors.push(
        new LinuxKitError("FORMAT_UNKNOWN", `unknown output format ${JSON.stringify(name)}`, {
          field: "format",
          hint: `valid formats: ${valid}`,
        }),
      );
    }
  }
  const writers = new Map<string, string>();
  for (const format of found) {
    for (const file of format.files("NAME")) {
      // Kernel and command line are the same bytes whichever format writes them.
      if (SHARED_FILES.has(file)) continue;
      const other = writers.get(file);
      if (other !== undefined) {
        errors.push(
          new LinuxKitError(
            "FORMAT_UNKNOWN",
            `output formats ${other} and ${format.name} both write ${file}`,
            {
              field: "format",
              hint: "build them separately, with a different --name or --dir for each",
            },
          ),
        );
      }
      writers.set(file, format.name);
    }
  }
  if (errors.length === 1 && errors[0] !== undefined) throw errors[0];
  if (errors.length > 1) throw new LinuxKitErrors(errors);
  return found;
}

/** Checks that every command the formats need is installed (TOOL_MISSING otherwise). */
export async function checkFormatTools(formats: readonly OutputFormat[]): Promise<void> {
  for (const f of formats) {
    for (const tool of f.requiredTools ?? []) await requireTool(tool.command, tool.debianPackage);
  }
}

/**
 * Validates `names`, checks their tools, then writes each format in turn
 * (see {@link writeResolvedFormats}).
 */
export async function writeFormats(
  names: readonly string[],
  ctx: FormatContext,
): Promise<Artifact[]> {
  const formats = resolveFormats(names);
  await checkFormatTools(formats);
  return writeResolvedFormats(formats, ctx);
}

/**
 * Writes each of `formats` (already resolved and their tools checked) in
 * turn. Errors other than LinuxKitErrors and aborts are wrapped as BUILD
 * errors naming the format.
 */
export async function writeResolvedFormats(
  formats: readonly OutputFormat[],
  ctx: FormatContext,
): Promise<Artifact[]> {
  const artifacts: Artifact[] = [];
  for (const format of formats) {
    ctx.signal?.throwIfAborted();
    try {
      artifacts.push(...(await format.write(ctx)));
    } catch (err) {
      if (isLinuxKitError(err) || ctx.signal?.aborted) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new LinuxKitError("BUILD", `writing output format ${format.name} failed: ${message}`, {
        hint: `check that ${ctx.outputDir} and ${ctx.tmpDir} are writable and have free space`,
        cause: err,
      });
    }
  }
  return artifacts;
}

/** The gzip level of compressed outputs (the initrd, the gcp format's tar.gz). */
import { LinuxKitError } from "../errors";

/** Default gzip level, the same trade-off as `gzip -6`. */
export const DEFAULT_GZIP_LEVEL = 6;

/** Throws a USAGE error unless `level` is a whole number from 0 to 9. */
export function checkGzipLevel(level: number): number {
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new LinuxKitError("USAGE", `gzip level ${level} is not a whole number from 0 to 9`, {
      field: "gzipLevel",
      hint: `use ${DEFAULT_GZIP_LEVEL} (the default), 9 for the smallest output or 0 for none`,
    });
  }
  return level;
}

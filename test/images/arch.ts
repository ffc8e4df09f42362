/**
 * The architectures the test images are built for. amd64 images come from
 * this machine's own Debian packages; arm64 images from Debian's arm64
 * packages, downloaded and unpacked without emulation by
 * scripts/fetch-debian-arm64.sh.
 *
 * The engine here (Docker 20.10, classic image store) keeps one platform
 * per tag: pulling or loading another platform under the same tag replaces
 * it. So each architecture has its own tag: `linuxkit-test/<name>:test`
 * (amd64) and `linuxkit-test/<name>:test-arm64`.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export type TestArch = "amd64" | "arm64";

export const TEST_ARCHES: readonly TestArch[] = ["amd64", "arm64"];

export interface TestArchInfo {
  readonly arch: TestArch;
  /** The image tag of this architecture. */
  readonly tag: string;
  /** The Debian kernel flavour suffix of `uname -r`. */
  readonly kernelFlavour: string;
  /** Where the Debian packages are unpacked: `/` for the host's own architecture. */
  readonly root: () => string;
}

/** Where scripts/fetch-debian-arm64.sh unpacks the arm64 packages (its default). */
export function arm64Root(): string {
  const explicit = process.env.PULUMI_LINUXKIT_ARM64_ROOT;
  if (explicit) return explicit;
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(cache, "pulumi-linuxkit", "debian-arm64", "root");
}

export const TEST_ARCH_INFO: Readonly<Record<TestArch, TestArchInfo>> = {
  amd64: { arch: "amd64", tag: "test", kernelFlavour: "cloud-amd64", root: () => "/" },
  arm64: {
    arch: "arm64",
    tag: "test-arm64",
    kernelFlavour: "cloud-arm64",
    root: () => {
      const root = arm64Root();
      if (!existsSync(path.join(root, ".pulumi-linuxkit-packages"))) {
        throw new Error(
          `no unpacked Debian arm64 packages in ${root}: run scripts/fetch-debian-arm64.sh ` +
            "(or scripts/build-test-images.sh, which runs it)",
        );
      }
      return root;
    },
  },
};

/** `amd64` or `arm64`, else an error naming the value. */
export function parseTestArch(value: string): TestArch {
  if ((TEST_ARCHES as readonly string[]).includes(value)) return value as TestArch;
  throw new Error(`unknown architecture ${JSON.stringify(value)}: use ${TEST_ARCHES.join(" or ")}`);
}

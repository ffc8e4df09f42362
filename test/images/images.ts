/**
 * The linuxkit-test/* images: LinuxKit-style images made from this
 * machine's Debian packages, because no registry is reachable. One row per
 * image; `contents` builds its root filesystem.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../helpers/paths";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { TEST_ARCH_INFO, type TestArch } from "./arch";
import { foreignDynamicBinary } from "./foreign-elf";
import { busybox, dynamicBinary, findKernel, kernelModules, type Kernel } from "./host";
import { Layout } from "./layout";

export const TEST_IMAGE_REPO_PREFIX = "linuxkit-test/";
export const TEST_IMAGE_TAG = "test";
/** Label holding the content hash; an image whose label matches is not rebuilt. */
export const HASH_LABEL = "org.pulumi-linuxkit.test-image-hash";
/** Bump to rebuild every image after a change the hash cannot see. */
export const FORMAT_VERSION = 1;

/** `linuxkit-test/<name>:test` (amd64), `linuxkit-test/<name>:test-arm64` (arm64). */
export function testImageRef(name: string, arch: TestArch = "amd64"): string {
  return `${TEST_IMAGE_REPO_PREFIX}${name}:${TEST_ARCH_INFO[arch].tag}`;
}

/** The image config, applied with `docker import --change` instructions. */
export interface ImageConfig {
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly workdir?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface TestImage {
  /** Short name: the image is `linuxkit-test/<name>:test`. */
  readonly name: string;
  /** What it is a stand-in for, and what it holds. */
  readonly summary: string;
  readonly config: (host: HostInputs) => ImageConfig;
  readonly contents: (host: HostInputs) => Promise<Layout> | Layout;
  /** The architectures it is built for. Default: every one. */
  readonly arches?: readonly TestArch[];
}

/** The files in test/images/contents/<dir> (image contents kept as real files). */
export function contentsDir(dir: string): string {
  return path.join(repoRoot, "test", "images", "contents", dir);
}

/** Debian's multiarch triplet of each architecture. */
const TRIPLETS: Readonly<Record<TestArch, string>> = {
  amd64: "x86_64-linux-gnu",
  arm64: "aarch64-linux-gnu",
};

/** `1:1.35.0-4+b1` -> `1.35.0` */
function upstreamVersion(v: string): string {
  return v.replace(/^\d+:/, "").replace(/-[^-]*$/, "");
}

/**
 * Inputs shared by several images, read once, from the Debian tree of
 * `arch`: this machine's own files for amd64, the unpacked arm64 packages
 * (scripts/fetch-debian-arm64.sh) for arm64.
 */
export class HostInputs {
  private kernelCache?: Kernel;
  private baseCache?: Layout;

  constructor(readonly arch: TestArch = "amd64") {}

  /** The Debian tree the files come from. */
  get root(): string {
    return TEST_ARCH_INFO[this.arch].root();
  }

  get kernel(): Kernel {
    return (this.kernelCache ??= findKernel(this.root, TEST_ARCH_INFO[this.arch].kernelFlavour));
  }

  /** A dynamically linked binary of the tree at `dest`, with its interpreter and libraries. */
  dynamic(treePath: string, dest: string): Layout {
    return this.arch === "amd64"
      ? dynamicBinary(treePath, dest)
      : foreignDynamicBinary(this.root, treePath, dest, TRIPLETS[this.arch]);
  }

  /** busybox-static of the tree, with applet links. */
  busybox(): Layout {
    if (this.arch === "amd64") return busybox();
    // the arm64 binary cannot run here: its applets are those of the host's busybox, same version
    const own = /Package: busybox-static Version: (\S+)/.exec(
      readFileSync(path.join(this.root, ".pulumi-linuxkit-packages"), "utf8"),
    )?.[1];
    const host = spawnSync("dpkg-query", ["-W", "-f=${Version}", "busybox-static"], {
      encoding: "utf8",
    }).stdout;
    if (own === undefined || upstreamVersion(own) !== upstreamVersion(host)) {
      throw new Error(
        `busybox-static ${own ?? "(none)"} (${this.arch}) and ${host || "(none)"} (this machine) ` +
          "differ: the applet list is read from this machine's busybox; upgrade both " +
          "(apt-get install busybox-static; scripts/fetch-debian-arm64.sh --force)",
      );
    }
    return busybox(path.join(this.root, "bin/busybox"), "/bin/busybox");
  }

  /** busybox + applets, /etc/passwd and group, the shared lib.sh and udhcpc script, usual dirs. */
  get base(): Layout {
    return (this.baseCache ??= new Layout()
      .merge(this.busybox())
      .tree(contentsDir("base"))
      .dir("dev")
      .dir("proc")
      .dir("sys")
      .dir("etc")
      .dir("root", 0o700)
      .dir("tmp", 0o1777)
      .dir("var/log")
      .dir("var/lib"));
  }
}

/** A service image: the busybox base plus test/images/contents/<name>. */
function serviceImage(name: string, summary: string, config: ImageConfig): TestImage {
  return {
    name,
    summary,
    config: () => config,
    contents: (host) => {
      const own = contentsDir(name);
      const layout = new Layout().merge(host.base);
      return existsSync(own) ? layout.tree(own) : layout;
    },
  };
}

export const TEST_IMAGES: readonly TestImage[] = [
  {
    name: "kernel",
    summary:
      "stand-in for linuxkit/kernel: /kernel (the Debian cloud bzImage) and /kernel.tar " +
      "(lib/modules/<version>/ with the modules the guest needs and filtered index files)",
    config: (host) => ({ labels: { "org.pulumi-linuxkit.kernel-version": host.kernel.version } }),
    contents: async (host) =>
      new Layout()
        .copy(host.kernel.image, "kernel", 0o644)
        .file("kernel.tar", await kernelModules(host.kernel).tarBuffer(), 0o644),
  },
  {
    name: "init",
    summary:
      "stand-in for linuxkit/init (+ containerd): /init (busybox sh), busybox with applet links, " +
      "jq with its libraries (reads config.json/runtime.json)",
    config: () => ({}),
    contents: (host) =>
      new Layout()
        .merge(host.base)
        .merge(host.dynamic("/usr/bin/jq", "usr/bin/jq"))
        .tree(contentsDir("init"))
        .dir("run")
        .dir("mnt"),
  },
  {
    name: "runc",
    summary:
      "stand-in for linuxkit/runc: /usr/bin/runc (Debian) with libseccomp, libc and the loader",
    config: () => ({}),
    contents: (host) => host.dynamic("/usr/sbin/runc", "usr/bin/runc"),
  },
  {
    name: "ca-certificates",
    summary: "stand-in for linuxkit/ca-certificates: /etc/ssl/certs/ca-certificates.crt (Debian)",
    config: () => ({}),
    contents: () =>
      new Layout().copy(
        "/etc/ssl/certs/ca-certificates.crt",
        "etc/ssl/certs/ca-certificates.crt",
        0o644,
      ),
  },
  serviceImage("busybox", "busybox-static with applet links; CMD /bin/sh", { cmd: ["/bin/sh"] }),
  serviceImage(
    "dhcpcd",
    "stand-in for linuxkit/dhcpcd: busybox udhcpc with an event script; /sbin/dhcpcd takes " +
      "the seed's dhcpcd arguments; label runtime.mkdir /tmp/etc (the seeds bind /tmp/etc:/etc)",
    {
      cmd: ["/sbin/udhcpc", "-f", "-i", "eth0", "-s", "/usr/share/udhcpc/default.script"],
      labels: {
        "org.mobyproject.config": JSON.stringify({ runtime: { mkdir: ["/tmp/etc"] } }),
      },
    },
  ),
  serviceImage("sysctl", "stand-in for linuxkit/sysctl: applies /etc/sysctl.d/*.conf and reports", {
    cmd: ["/usr/bin/sysctl.sh"],
  }),
  serviceImage(
    "mount",
    "stand-in for linuxkit/mount: mounts a tmpfs on each argument (also as /mount.sh, the 2017 path)",
    {
      entrypoint: ["/usr/bin/mount.sh"],
    },
  ),
  serviceImage("rngd", "stand-in for linuxkit/rngd: reports its facts, then idles", {
    cmd: ["/usr/bin/rngd.sh"],
  }),
  serviceImage(
    "httpd",
    "stand-in for nginx: busybox httpd serving /www on port 80; ENV, WORKDIR and an " +
      "org.mobyproject.config label (capabilities, binds) to exercise config precedence",
    {
      cmd: ["/usr/bin/httpd.sh"],
      env: { HTTPD_PORT: "80", HTTPD_ROOT: "/www" },
      workdir: "/www",
      labels: {
        "org.mobyproject.config": JSON.stringify({
          capabilities: ["CAP_NET_BIND_SERVICE"],
          binds: ["/var/log:/var/log"],
        }),
      },
    },
  ),
  serviceImage(
    "docker",
    "stand-in for linuxkit/docker-ce: reports cgroups, /var/lib/docker, daemon.json",
    {
      cmd: ["/usr/bin/docker.sh"],
    },
  ),
  {
    name: "sshd",
    summary:
      "stand-in for linuxkit/sshd: reports authorized_keys and resolv.conf, then runs Debian's " +
      "OpenSSH server (key logins as root) with its libraries and ssh-keygen",
    config: () => ({ cmd: ["/usr/bin/sshd.sh"] }),
    // Debian's arm64 OpenSSH is not among the fetched packages
    arches: ["amd64"],
    contents: (host) =>
      new Layout()
        .merge(host.base)
        .merge(dynamicBinary("/usr/sbin/sshd", "usr/sbin/sshd"))
        .merge(dynamicBinary("/usr/bin/ssh-keygen", "usr/bin/ssh-keygen"))
        .tree(contentsDir("sshd"))
        .dir("etc/ssh")
        .dir("run"),
  },
  serviceImage(
    "check",
    "prints the facts e2e tests assert (files, capabilities, readonly, namespaces)",
    {
      cmd: ["/usr/bin/check.sh"],
      env: { LINUXKIT_TEST_ENV: "from-image" },
    },
  ),
];

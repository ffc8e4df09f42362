/**
 * Golden tests of image trees read from layers. A four-layer image is built
 * here (`docker build`, legacy builder, from the local busybox test image):
 *
 *   1. busybox (base)
 *   2. COPY: data/{keep,gone}.txt, opq/{old.txt,sub/deep.txt},
 *      etc/resolv.conf -> ../run/resolvconf/resolv.conf, etc/hosts (0600),
 *      usr/bin/tool (0755) and usr/bin/tool-link -> tool
 *   3. COPY --chown=7:8: owned/o.txt
 *   4. RUN: rm data/gone.txt (a `.wh.` whiteout), rm -rf opq && mkdir opq
 *      && echo new > opq/new.txt (an opaque directory), ln data/keep.txt
 *      data/keep-hard.txt && chmod 0640 (a hard link), ln bin/busybox
 *      bin/bb-hard (a hard link to a file of a lower layer)
 *
 * The expected tree is written out below from those steps and the OCI
 * layer rules, and is also checked against the kernel's own overlay of the
 * same layers (a container's export, minus the paths Docker's init layer
 * owns). Then a real build shows none of Docker's init layer reaches the
 * root filesystem and LinuxKit's image rules apply.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import { build } from "../../../components/pipeline/pipeline";
import { parseSpec } from "../../../components/config";
import { DockerImageSource } from "../../../components/sources/docker-image-source";
import { ensureTestImages } from "../../helpers/boot";
import { type ReadEntry, readTar } from "../../helpers/tar-kit";

const run = promisify(execFile);
const IMAGE = `pulumi-linuxkit-e2e/golden:t${process.pid}`;

const HOSTS = `127.0.0.1       localhost
::1     localhost ip6-localhost ip6-loopback
fe00::0 ip6-localnet
ff00::0 ip6-mcastprefix
ff02::1 ip6-allnodes
ff02::2 ip6-allrouters
`;

const DOCKERFILE = `FROM linuxkit-test/busybox:test
COPY layer1/ /
COPY --chown=7:8 owned/ /owned/
RUN rm /data/gone.txt && rm -rf /opq && mkdir /opq && echo new > /opq/new.txt && ln /data/keep.txt /data/keep-hard.txt && chmod 0640 /data/keep.txt && ln /bin/busybox /bin/bb-hard
`;

let work: string;

async function buildImage(): Promise<void> {
  const ctx = path.join(work, "ctx");
  const l1 = path.join(ctx, "layer1");
  for (const d of ["data", "opq/sub", "etc", "usr/bin"])
    await mkdir(path.join(l1, d), { recursive: true });
  await mkdir(path.join(ctx, "owned"));
  await writeFile(path.join(l1, "data/keep.txt"), "keep\n");
  await writeFile(path.join(l1, "data/gone.txt"), "gone\n");
  await writeFile(path.join(l1, "opq/old.txt"), "old\n");
  await writeFile(path.join(l1, "opq/sub/deep.txt"), "deep\n");
  await symlink("../run/resolvconf/resolv.conf", path.join(l1, "etc/resolv.conf"));
  await writeFile(path.join(l1, "etc/hosts"), "custom\n");
  await chmod(path.join(l1, "etc/hosts"), 0o600);
  await writeFile(path.join(l1, "usr/bin/tool"), "#!/bin/sh\n");
  await chmod(path.join(l1, "usr/bin/tool"), 0o755);
  await symlink("tool", path.join(l1, "usr/bin/tool-link"));
  await writeFile(path.join(ctx, "owned/o.txt"), "mine\n");
  await writeFile(path.join(ctx, "Dockerfile"), DOCKERFILE);
  await run("docker", ["build", "-q", "-t", IMAGE, ctx], {
    env: { ...process.env, DOCKER_BUILDKIT: "0" },
  });
}

/** One entry reduced to what a tree comparison looks at (mtimes aside). */
interface Node {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  /** Symlink target, or the content of a regular file (hard links resolved). */
  value: string;
}

function sha(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex").slice(0, 16);
}

/** Name → node, hard links resolved to their target's content; and the hard link groups. */
function tree(entries: ReadEntry[]): { nodes: Map<string, Node>; links: string[][] } {
  const clean = (n: string): string => n.replace(/^\.\//, "").replace(/\/$/, "");
  const byName = new Map(entries.map((e) => [clean(e.header.name), e]));
  const nodes = new Map<string, Node>();
  const groups = new Map<string, string[]>();
  for (const [name, e] of byName) {
    const h = e.header;
    let type = h.type ?? "file";
    let value = "";
    if (type === "symlink") value = h.linkname ?? "";
    if (type === "link") {
      const target = clean(h.linkname ?? "");
      const t = byName.get(target);
      value = t === undefined ? "(dangling)" : sha(t.data);
      type = "file";
      const g = groups.get(target) ?? [target];
      g.push(name);
      groups.set(target, g);
    } else if (type === "file") {
      value = e.data.length < 64 ? e.data.toString() : sha(e.data);
    }
    nodes.set(name, {
      type,
      mode: ((h.mode ?? 0) & 0o7777).toString(8),
      uid: h.uid ?? 0,
      gid: h.gid ?? 0,
      value,
    });
  }
  // content of a regular file given by sha when it is a link target, to compare with the links
  for (const g of groups.values()) {
    for (const n of g) {
      const e = byName.get(n)!;
      if (e.header.type !== "link") nodes.get(n)!.value = sha(e.data);
    }
  }
  return { nodes, links: [...groups.values()].map((g) => g.sort()).sort() };
}

function summary(nodes: Map<string, Node>, keep: (name: string) => boolean): string[] {
  return [...nodes]
    .filter(([n]) => keep(n))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([n, v]) => `${n} ${v.type} ${v.mode} ${v.uid}:${v.gid} ${JSON.stringify(v.value)}`);
}

/** The paths layers 2-4 touch (the rest is the busybox base). */
const OURS = (n: string): boolean =>
  /^(data|opq|owned)(\/|$)|^usr(\/bin)?$|^usr\/bin\/tool|^etc\/(hosts|resolv\.conf)$/.test(n);

before(async () => {
  await ensureTestImages();
  work = await mkdtemp(path.join(os.tmpdir(), "lk-e2e-layers-"));
  await buildImage();
});

after(async () => {
  await run("docker", ["rmi", "-f", IMAGE]).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
});

describe("an image tree applied from its layers (real engine)", { timeout: 120_000 }, () => {
  let entries: ReadEntry[];

  before(async () => {
    const source = new DockerImageSource();
    entries = await readTar(
      await source.exportRootfs(await source.resolve(IMAGE, { offline: true })),
    );
  });

  it("is the tree the OCI layer rules give, entry by entry", () => {
    const { nodes } = tree(entries);
    const keep = sha(Buffer.from("keep\n"));
    assert.deepEqual(summary(nodes, OURS), [
      'data directory 755 0:0 ""',
      `data/keep-hard.txt file 640 0:0 "${keep}"`,
      `data/keep.txt file 640 0:0 "${keep}"`,
      'etc/hosts file 600 0:0 "custom\\n"',
      'etc/resolv.conf symlink 777 0:0 "../run/resolvconf/resolv.conf"',
      'opq directory 755 0:0 ""',
      'opq/new.txt file 644 0:0 "new\\n"',
      'owned directory 755 7:8 ""',
      'owned/o.txt file 644 7:8 "mine\\n"',
      'usr directory 755 0:0 ""',
      'usr/bin directory 755 0:0 ""',
      'usr/bin/tool file 755 0:0 "#!/bin/sh\\n"',
      'usr/bin/tool-link symlink 777 0:0 "tool"',
    ]);
  });

  it("keeps hard links as links: within a layer and to a file of a lower layer", () => {
    const { links } = tree(entries);
    assert.deepEqual(links, [
      ["bin/bb-hard", "bin/busybox"],
      ["data/keep-hard.txt", "data/keep.txt"],
    ]);
  });

  it("holds no whiteout files and nothing of Docker's init layer", () => {
    const names = [...tree(entries).nodes.keys()];
    assert.deepEqual(
      names.filter((n) => /(^|\/)\.wh\./.test(n)),
      [],
    );
    // The busybox base has dev/, proc/ and sys/ of its own; Docker's init layer adds these.
    for (const n of [
      ".dockerenv",
      "etc/hostname",
      "etc/mtab",
      "dev/console",
      "dev/pts",
      "dev/shm",
    ]) {
      assert.equal(names.includes(n), false, `${n} must not be in the image tree`);
    }
  });

  it("equals the kernel's overlay of the same layers, apart from what Docker's init layer owns", async () => {
    const { stdout } = await run("docker", ["create", IMAGE, "/bin/true"]);
    const id = stdout.trim();
    try {
      const file = path.join(work, "container.tar");
      await run("sh", ["-c", `docker export ${id} > ${file}`]);
      const theirs = tree(await readTar(await readFile(file)));
      const ours = tree(entries);
      const INIT_LAYER =
        /^(\.dockerenv|dev|proc|sys|etc\/(hostname|hosts|mtab|resolv\.conf))(\/|$)/;
      const outside = (n: string): boolean => !INIT_LAYER.test(n);
      assert.deepEqual(summary(ours.nodes, outside), summary(theirs.nodes, outside));
      assert.deepEqual(ours.links, theirs.links);
    } finally {
      await run("docker", ["rm", "-f", id]).catch(() => undefined);
    }
  });
});

describe("a real build of that image (init and onboot)", { timeout: 180_000 }, () => {
  let m: Map<string, ReadEntry>;
  const lower = "containers/onboot/000-golden/lower";

  before(async () => {
    const yaml = `init:\n  - ${IMAGE}\nonboot:\n  - name: golden\n    image: ${IMAGE}\n`;
    const parsed = parseSpec(yaml, "golden.yml");
    const out = path.join(work, "out");
    await build({
      spec: parsed.spec,
      locations: parsed.locations,
      baseDir: work,
      name: "golden",
      outputDir: out,
      formats: ["tar"],
      noCache: true,
    });
    const entries = await readTar(await readFile(path.join(out, "golden.tar")));
    m = new Map(entries.map((e) => [e.header.name.replace(/\/$/, ""), e]));
  });

  it("no Docker init-layer artifact reaches the root filesystem or a container", () => {
    for (const base of ["", `${lower}/`]) {
      assert.equal(m.has(`${base}.dockerenv`), false, `${base}.dockerenv`);
      assert.equal(m.has(`${base}etc/hostname`), false, `${base}etc/hostname`);
      assert.equal(m.has(`${base}dev/console`), false, `${base}dev/console`);
    }
    assert.deepEqual(
      [...m.keys()].filter((n) => /(^|\/)\.wh\./.test(n)),
      [],
      "no whiteout files",
    );
    assert.equal(m.has(`${lower}/data/gone.txt`), false, "whited out");
    assert.equal(m.has(`${lower}/opq/old.txt`), false, "hidden by the opaque directory");
    assert.equal(m.has(`${lower}/opq/sub`), false, "hidden by the opaque directory");
  });

  it("init images: etc/resolv.conf points at /run/resolvconf, etc/hosts is LinuxKit's 0644 file", () => {
    const resolv = m.get("etc/resolv.conf")!.header;
    assert.deepEqual([resolv.type, resolv.linkname], ["symlink", "/run/resolvconf/resolv.conf"]);
    const hosts = m.get("etc/hosts")!;
    assert.deepEqual(
      [hosts.header.type, hosts.header.mode & 0o7777, hosts.header.uid],
      ["file", 0o644, 0],
    );
    assert.equal(hosts.data.toString(), HOSTS);
  });

  it("containers: the image's symlinked resolv.conf is kept, etc/hosts is LinuxKit's 0644 file", () => {
    const resolv = m.get(`${lower}/etc/resolv.conf`)!.header;
    assert.deepEqual([resolv.type, resolv.linkname], ["symlink", "../run/resolvconf/resolv.conf"]);
    const hosts = m.get(`${lower}/etc/hosts`)!;
    assert.deepEqual(
      [hosts.header.type, hosts.header.mode & 0o7777, hosts.header.uid],
      ["file", 0o644, 0],
    );
    assert.equal(hosts.data.toString(), HOSTS);
    for (const d of ["dev", "dev/pts", "dev/shm", "etc", "proc", "sys"]) {
      const h = m.get(`${lower}/${d}`)?.header;
      assert.deepEqual([h?.type, (h?.mode ?? 0) & 0o7777, h?.uid], ["directory", 0o755, 0], d);
    }
    assert.equal(m.get(`${lower}/etc/mtab`)?.header.linkname, "/proc/mounts");
  });

  it("containers: hard links stay links, owners and modes as the layers set them", () => {
    const hard = m.get(`${lower}/data/keep.txt`)!.header;
    assert.deepEqual([hard.type, hard.linkname], ["link", `${lower}/data/keep-hard.txt`]);
    const data = m.get(`${lower}/data/keep-hard.txt`)!;
    assert.deepEqual([data.header.mode & 0o7777, data.data.toString()], [0o640, "keep\n"]);
    const owned = m.get(`${lower}/owned/o.txt`)!.header;
    assert.deepEqual([owned.uid, owned.gid], [7, 8]);
    assert.equal(m.get(`${lower}/usr/bin/tool-link`)?.header.linkname, "tool");
  });
});

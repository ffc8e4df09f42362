/**
 * A real Docker registry (Debian's `docker-registry`, distribution 2.8) on
 * 127.0.0.1 for pull tests: its own port, storage in a temp folder, and
 * optionally htpasswd (bcrypt) auth. The Docker engine treats registries on
 * 127.0.0.0/8 as insecure, so plain HTTP works without engine settings.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

import { freePort } from "./boot";

const run = promisify(execFile);

export interface RegistryOptions {
  /** Require this user and password (htpasswd, bcrypt). Default: no auth. */
  credentials?: { username: string; password: string };
  /** Raw `auth:` section of the registry config (e.g. token auth); overrides `credentials`. */
  authSection?: string;
}

export class TestRegistry {
  private constructor(
    /** `127.0.0.1:<port>`, the registry part of image references. */
    readonly host: string,
    readonly dir: string,
    private readonly child: ChildProcess,
    private readonly log: () => string,
  ) {}

  /** Starts a registry and waits until `/v2/` answers (200, or 401 with auth). */
  static async start(options: RegistryOptions = {}): Promise<TestRegistry> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lk-registry-"));
    const port = await freePort();
    await mkdir(path.join(dir, "data"));
    let auth = "";
    if (options.credentials) {
      const { stdout } = await run("htpasswd", [
        "-nbB",
        options.credentials.username,
        options.credentials.password,
      ]);
      await writeFile(path.join(dir, "htpasswd"), stdout.trim() + "\n");
      auth = `auth:\n  htpasswd:\n    realm: test-realm\n    path: ${path.join(dir, "htpasswd")}\n`;
    }
    if (options.authSection !== undefined) auth = options.authSection;
    const config =
      `version: 0.1\nlog:\n  level: warn\n` +
      `storage:\n  filesystem:\n    rootdirectory: ${path.join(dir, "data")}\n  delete:\n    enabled: true\n` +
      `http:\n  addr: 127.0.0.1:${port}\n${auth}`;
    await writeFile(path.join(dir, "config.yml"), config);
    const child = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
    const registry = new TestRegistry(`127.0.0.1:${port}`, dir, child, () => output);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const status = await registry.status("/v2/").catch(() => 0);
      if (status === 200 || status === 401) return registry;
      if (child.exitCode !== null || Date.now() > deadline) {
        await registry.stop();
        throw new Error(`docker-registry did not start on ${registry.host}:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** HTTP status of GET `p` on the registry. */
  status(p: string): Promise<number> {
    return new Promise((resolve, reject) => {
      http
        .get(`http://${this.host}${p}`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject);
    });
  }

  /** The registry's own log (for failure messages). */
  output(): string {
    return this.log();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once("exit", r));
      this.child.kill("SIGTERM");
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Runs the docker CLI; `configDir` selects a Docker client config folder (credentials). */
export async function docker(args: string[], configDir?: string): Promise<string> {
  const full = configDir === undefined ? args : ["--config", configDir, ...args];
  const { stdout } = await run("docker", full, { maxBuffer: 16 << 20 });
  return stdout.trim();
}

/** Writes a Docker client config in `dir` with `auths` for `host` (user:password, base64). */
export async function writeDockerConfig(
  dir: string,
  host: string,
  username: string,
  password: string,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  await writeFile(path.join(dir, "config.json"), JSON.stringify({ auths: { [host]: { auth } } }));
}

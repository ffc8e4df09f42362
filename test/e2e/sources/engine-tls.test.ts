/**
 * An engine behind TLS is still reached through dockerode: a node `tls`
 * server on 127.0.0.1 that requires a client certificate from a test CA
 * (made with openssl) forwards each connection to the real engine's unix
 * socket, and DockerImageSource, given DOCKER_HOST=tcp://127.0.0.1:PORT,
 * DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH, resolves and exports
 * linuxkit-test/busybox:test through it.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";

import { DockerImageSource, endpointOf } from "../../../components/sources/docker-image-source";
import { engineAddress } from "../../../components/sources/engine-host";
import { readTar } from "../../helpers/tar-kit";

const run = promisify(execFile);
const BUSYBOX = "linuxkit-test/busybox:test";
const ENV = ["DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"] as const;

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as Docker's TLS set-up has them. */
async function makeCertificates(dir: string): Promise<{ client: string; server: string }> {
  const client = path.join(dir, "client"); // DOCKER_CERT_PATH: ca.pem, cert.pem, key.pem
  const server = path.join(dir, "server");
  await mkdir(client);
  await mkdir(server);
  const openssl = (...args: string[]): Promise<unknown> => run("openssl", args, { cwd: dir });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca-key.pem",
    "-out",
    "client/ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=lk-test-ca",
  );
  await writeFile(
    path.join(dir, "server.ext"),
    "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  await writeFile(path.join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [who, key, cert, cn] of [
    ["server", "server/key.pem", "server/cert.pem", "127.0.0.1"],
    ["client", "client/key.pem", "client/cert.pem", "lk-test-client"],
  ] as const) {
    await openssl("req", ...ec, "-keyout", key, "-out", `${who}.csr`, "-subj", `/CN=${cn}`);
    await openssl(
      "x509",
      "-req",
      "-in",
      `${who}.csr`,
      "-CA",
      "client/ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-out",
      cert,
      "-days",
      "1",
      "-extfile",
      `${who}.ext`,
    );
  }
  return { client, server };
}

/** The real engine's socket: the unix socket the test's environment names, else the system one. */
function engineSocket(): string {
  const address = engineAddress();
  return address.kind === "unix" ? address.socketPath : "/var/run/docker.sock";
}

describe("DockerImageSource against an engine behind TLS (dockerode)", { timeout: 60_000 }, () => {
  let dir = "";
  let certs: { client: string; server: string };
  let server: tls.Server;
  let port = 0;
  const sockets = new Set<net.Socket>();
  /** The CN of each client certificate the TLS server accepted. */
  const clients: string[] = [];
  const saved = Object.fromEntries(ENV.map((n) => [n, process.env[n]]));

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "lk-engine-tls-"));
    certs = await makeCertificates(dir);
    const upstream = engineSocket();
    server = tls.createServer(
      {
        key: await readFile(path.join(certs.server, "key.pem")),
        cert: await readFile(path.join(certs.server, "cert.pem")),
        ca: await readFile(path.join(certs.client, "ca.pem")),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => {
        clients.push(String(socket.getPeerCertificate().subject?.CN));
        const engine = net.connect(upstream);
        for (const s of [socket, engine]) sockets.add(s);
        socket.on("error", () => engine.destroy());
        engine.on("error", () => socket.destroy());
        socket.pipe(engine).pipe(socket);
      },
    );
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
    process.env.DOCKER_TLS_VERIFY = "1";
    process.env.DOCKER_CERT_PATH = certs.client;
  });

  after(async () => {
    for (const n of ENV) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it(`resolves and exports ${BUSYBOX} through the TLS endpoint, with the client certificate`, async () => {
    const source = new DockerImageSource();
    const engine = (source as unknown as { engine: { docker?: unknown } }).engine;
    assert.ok(engine.docker !== undefined, "the engine client is dockerode");
    assert.equal(endpointOf(engine as never), `tcp://127.0.0.1:${port} (TLS)`);

    const image = await source.resolve(BUSYBOX, { offline: true });
    const { stdout } = await run("docker", ["image", "inspect", "--format", "{{.Id}}", BUSYBOX]);
    assert.equal(image.id, stdout.trim());
    const entries = await readTar(await source.exportRootfs(image));
    const busybox = entries.find((e) => e.header.name === "bin/busybox");
    assert.ok(
      busybox !== undefined && busybox.data.length > 100_000,
      "bin/busybox is in the export",
    );
    assert.ok(clients.length > 0 && clients.every((cn) => cn === "lk-test-client"), clients.join());
  });

  it("the TLS endpoint does refuse a client without a certificate (the test is not vacuous)", async () => {
    const ca = await readFile(path.join(certs.client, "ca.pem"));
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, ca }, () => {
          socket.write("GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
        });
        socket.on("data", () => resolve());
        socket.on("error", reject);
        socket.on("close", () => reject(new Error("closed without an answer")));
      }),
    );
  });
});

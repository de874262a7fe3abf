/**
 * Test helper: Debian's nginx as a plain process with the shipped docker/nginx/ config — site.sh
 * writes the site, as in the compose `proxy` container; only the upstreams (loopback ports) and the
 * paths (a temp dir) are the caller's. One process (`master_process off`) that stays the caller's
 * user, no root paths. Used by proxy-topology.integration.test.ts (stand-ins behind it) and
 * e2e/proxy-topology.spec.ts (the real web server and two apps/realtime gateways behind it).
 * Node built-ins only, so the browser tests can load it without the workspace's packages.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/** Where Debian's package puts nginx (`apt-get install nginx`). */
export const NGINX = "/usr/sbin/nginx";
export const hasNginx = (): boolean => existsSync(NGINX);

const nginxDir = path.resolve(import.meta.dirname, "../../../docker/nginx");
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A running nginx: its origin, its access log, and how to stop it (which also removes its dir). */
export type TNginx = {
  origin: string;
  /** The access log so far (the `parley` format: address, request, status, `rid=`, `up=`). */
  accessLog(): Promise<string>;
  /** SIGKILLs nginx (it keeps no state worth a graceful stop) and removes its temp dir. */
  stop(): Promise<void>;
};

/** True once something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Starts nginx on 127.0.0.1:`port` in front of `parley_web` (`webPorts`) and `parley_gateways`
 * (`gatewayPorts`, least_conn as in docker/nginx/upstreams.conf), and resolves once it listens
 * (the upstreams need not be up yet: nginx answers 502 until they are).
 */
export async function startNginx(options: {
  port: number;
  webPorts: readonly number[];
  gatewayPorts: readonly number[];
  timeoutMs?: number;
}): Promise<TNginx> {
  const dir = await mkdtemp(path.join(tmpdir(), "parley-nginx-"));
  let child: ChildProcess | undefined;
  // A test process that ends without stopping it (killed, crashed) takes nginx with it.
  const onExit = () => child?.kill("SIGKILL");
  process.once("exit", onExit);
  const stop = async () => {
    process.off("exit", onExit);
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const server = (port: number) => `server 127.0.0.1:${port};`;
    const upstreams = path.join(dir, "upstreams.conf");
    await writeFile(
      upstreams,
      `upstream parley_web { ${options.webPorts.map(server).join(" ")} keepalive 4; }\n` +
        `upstream parley_gateways { least_conn; ${options.gatewayPorts.map(server).join(" ")} }\n`,
    );
    const site = spawnSync("sh", [path.join(nginxDir, "site.sh")], {
      env: {
        PATH: process.env.PATH,
        PARLEY_NGINX_DIR: nginxDir,
        PARLEY_UPSTREAMS: upstreams,
        PARLEY_SITE: path.join(dir, "site.conf"),
        PARLEY_HTTP_LISTEN: `127.0.0.1:${options.port}`,
        PARLEY_ACCESS_LOG: path.join(dir, "access.log"),
      },
      encoding: "utf8",
    });
    if (site.status !== 0) throw new Error(`site.sh failed: ${site.stderr}`);
    const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
      .map((kind) => `${kind}_temp_path ${path.join(dir, kind)};`)
      .join(" ");
    const errorLog = path.join(dir, "error.log");
    await writeFile(
      path.join(dir, "nginx.conf"),
      [
        "daemon off;",
        "master_process off;",
        `pid ${path.join(dir, "nginx.pid")};`,
        `error_log ${errorLog} warn;`,
        "events { worker_connections 256; }",
        `http { ${temp} include ${path.join(dir, "site.conf")}; }`,
      ].join("\n"),
    );
    const started = spawn(NGINX, ["-p", dir, "-e", errorLog, "-c", path.join(dir, "nginx.conf")], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    child = started;
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    while (!(await accepts(options.port))) {
      if (started.exitCode !== null || Date.now() > deadline) {
        const log = await readFile(errorLog, "utf8").catch(() => "");
        throw new Error(
          `nginx ${started.exitCode === null ? "did not listen in time" : `exited with ${started.exitCode}`}:\n${log}`,
        );
      }
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    origin: `http://127.0.0.1:${options.port}`,
    accessLog: () => readFile(path.join(dir, "access.log"), "utf8").catch(() => ""),
    stop,
  };
}

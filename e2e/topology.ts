/**
 * The compose profile `separate-gateway` as plain processes, for e2e/proxy-topology.spec.ts: the
 * built web server (apps/web/server.ts, REALTIME_EMBEDDED=false, clients pointed at the proxy's
 * /ws), two apps/realtime gateways, both on one Redis (a key prefix of their own) and a database of
 * their own (a clone of with-test-db's migrated template), the S3 server from the environment, and
 * Debian's nginx with the shipped docker/nginx/ config in front (/ → web, /ws → the gateways,
 * least_conn). Every port is picked free; everything is stopped and removed by `stop()`, and
 * SIGKILLed if the test process exits first.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { freePort } from "@parley/db/local-postgres";
import pg from "pg";
import { startNginx, type TNginx } from "../packages/gateway/src/nginx-process.ts";

const root = path.resolve(import.meta.dirname, "..");
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export { freePort };

/** A WebSocket upgrade without credentials: the status it gets, and its WWW-Authenticate. */
export function upgradeWithoutTicket(
  url: string,
): Promise<{ status: number; challenge: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    req.on("response", (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, challenge: res.headers["www-authenticate"] });
    });
    req.on("upgrade", (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, challenge: undefined });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Why this machine cannot run the topology (null: it can). */
export function missingForTopology(): string | null {
  if (!existsSync("/usr/sbin/nginx")) return "/usr/sbin/nginx is not installed (sudo apt-get install nginx)";
  if (!process.env.S3_ENDPOINT) return "no S3_ENDPOINT (bash scripts/s3-server.sh start; source its exports)";
  if (process.env.PARLEY_TEST_SKIP_REDIS === "1") return "no Redis (npm test found none)";
  if (!process.env.PARLEY_TEST_TEMPLATE_URL) return "no PARLEY_TEST_TEMPLATE_URL (run through with-test-db)";
  return null;
}

/** A child process whose output is kept (the last lines) for the test to read and to report. */
export class Proc {
  readonly lines: string[] = [];
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    args: string[],
    options: { cwd: string; env: NodeJS.ProcessEnv },
  ) {
    this.child = spawn(process.execPath, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let partial = "";
    const onData = (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const parts = text.split("\n");
      partial = parts.pop() ?? "";
      this.lines.push(...parts.filter((line) => line.length > 0));
      if (this.lines.length > 4_000) this.lines.splice(0, this.lines.length - 4_000);
    };
    this.child.stdout?.on("data", onData);
    this.child.stderr?.on("data", onData);
    running.add(this);
    this.child.once("exit", () => running.delete(this));
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The pino JSON lines logged so far, parsed (other lines skipped). */
  logged(): Record<string, unknown>[] {
    return this.lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  tail(n = 30): string {
    return `--- ${this.name} (last ${n} lines)\n${this.lines.slice(-n).join("\n")}`;
  }

  /** Polls `url` until it answers 200; fails early, with the output, when the process exits. */
  async waitFor(url: string, deadline: number): Promise<void> {
    while (!this.exited) {
      try {
        if ((await fetch(url, { signal: AbortSignal.timeout(5_000) })).ok) return;
      } catch {}
      if (Date.now() > deadline) throw new Error(`${this.name}: ${url} not 200 in time\n${this.tail()}`);
      await sleep(100);
    }
    throw new Error(`${this.name} exited (${this.child.exitCode ?? this.child.signalCode})\n${this.tail()}`);
  }

  /** SIGTERM (the graceful drain), SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 8_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }
}

const running = new Set<Proc>();
// A test process that ends without afterAll (killed, crashed) takes its servers with it.
process.once("exit", () => {
  for (const proc of running) proc.kill();
});

/** A database cloned from with-test-db's migrated template (named after it, so its end drops it too). */
async function cloneDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const templateUrl = new URL(process.env.PARLEY_TEST_TEMPLATE_URL ?? "");
  const template = decodeURIComponent(templateUrl.pathname.slice(1));
  const name = `${template}_topo_${randomBytes(4).toString("hex")}`;
  const admin = async (sql: string) => {
    const maintenance = new URL(templateUrl);
    maintenance.pathname = "/postgres";
    const client = new pg.Client({ connectionString: maintenance.toString() });
    client.on("error", () => {});
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
  const url = new URL(templateUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return {
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
  };
}

export type TTopology = {
  /** The one address users open: nginx. */
  origin: string;
  web: Proc;
  gateways: { port: number; proc: Proc }[];
  /** Milliseconds from the start until each process was ready, and until the warm-up ended. */
  timings: Record<string, number>;
  stop(): Promise<void>;
};

/** Starts the database, the web server, two gateways and nginx; resolves once all are ready. */
export async function startTopology(timeoutMs: number): Promise<TTopology> {
  // Built by now: the suite's own server (e2e/start-web.mjs) builds it before any spec runs.
  if (!existsSync(path.join(root, "apps/web/.next/BUILD_ID"))) throw new Error("apps/web is not built");
  const started = Date.now();
  const deadline = started + timeoutMs;
  const [webPort, proxyPort, ...gatewayPorts] = await Promise.all([1, 2, 3, 4].map(() => freePort()));
  const origin = `http://127.0.0.1:${proxyPort}`;
  const procs: Proc[] = [];
  let nginx: TNginx | undefined;
  let database: Awaited<ReturnType<typeof cloneDatabase>> | undefined;
  const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
  const keyPrefix = `parley-e2e-topo-${randomBytes(4).toString("hex")}:`;
  const stop = async () => {
    await nginx?.stop();
    await Promise.all(procs.map((proc) => proc.stop()));
    await database?.drop();
    removeKeys(redisUrl, keyPrefix);
  };
  try {
    database = await cloneDatabase();
    // Only what this topology sets (as docker/compose.yaml's shared settings), plus the S3 server:
    // nothing of the suite's own server (its PORT, SSO, allow-lists) leaks in.
    const passed = ["PATH", "HOME", "TMPDIR", "LANG", "TZ"].filter((k) => process.env[k] !== undefined);
    const shared: NodeJS.ProcessEnv = {
      ...Object.fromEntries(passed.map((k) => [k, process.env[k]])),
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("S3_"))),
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      AUTH_SECRET: "e2e-topology-secret-that-is-at-least-32-characters",
      PUBLIC_URL: origin,
      REALTIME_PUBLIC_URL: `ws://127.0.0.1:${proxyPort}/ws`,
      REALTIME_EMBEDDED: "false",
      // nginx on the same host is the only proxy whose X-Forwarded-For is believed.
      TRUST_PROXY: "loopback",
    };
    nginx = await startNginx({ port: proxyPort!, webPorts: [webPort!], gatewayPorts });
    const web = new Proc("web", ["--import", "tsx", "server.ts"], {
      cwd: path.join(root, "apps/web"),
      env: { ...shared, PORT: String(webPort), LOG_LEVEL: "warn" },
    });
    procs.push(web);
    const gateways = gatewayPorts.map((port, i) => {
      const proc = new Proc(`gateway ${i + 1}`, ["--import", "tsx", "apps/realtime/src/main.ts"], {
        cwd: root,
        env: {
          ...shared,
          REALTIME_PORT: String(port),
          // `socket open` lines (with the userId) show which gateway holds whose socket.
          LOG_LEVEL: "debug",
          // The web process indexes and previews (processes share that work): a lighter box.
          SEARCH_INDEXER: "false",
          LINK_PREVIEWS: "false",
        },
      });
      procs.push(proc);
      return { port, proc };
    });
    const ms = () => Date.now() - started;
    const timings: Record<string, number> = {};
    await Promise.all([
      web.waitFor(`http://127.0.0.1:${webPort}/readyz`, deadline).then(() => (timings.web = ms())),
      ...gateways.map((g) =>
        g.proc
          .waitFor(`http://127.0.0.1:${g.port}/readyz`, deadline)
          .then(() => (timings[g.proc.name] = ms())),
      ),
    ]);
    await warmUp(origin, deadline);
    timings.warm = ms();
    return { origin, web, gateways, timings, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Best effort: the keys under `prefix` (most expire anyway; the engine's stats key does not), with
 * redis-cli when it is installed (CI's is: .ci/run pings Redis with it).
 */
function removeKeys(url: string, prefix: string): void {
  const cli = (...args: string[]) => spawnSync("redis-cli", ["-u", url, ...args], { encoding: "utf8" });
  const keys = cli("--scan", "--pattern", `${prefix}*`).stdout?.split("\n").filter(Boolean) ?? [];
  if (keys.length > 0) cli("DEL", ...keys);
}

/**
 * A fresh Next server loads each route's code on its first request (seconds on a busy box): done
 * here, through the proxy and within the start's bound, rather than inside the tests' 10 s waits.
 */
async function warmUp(origin: string, deadline: number): Promise<void> {
  const paths = ["/", "/setup", "/sign-in", "/sign-up", "/app", "/api/auth/csrf", "/api/auth/session"];
  paths.push("/api/trpc/users.me", `/api/files/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}`);
  for (const p of paths) {
    const timeoutMs = Math.max(1_000, deadline - Date.now());
    await fetch(`${origin}${p}`, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  }
}

/** A gateway's open sockets by user id, from its `socket open` / `socket closed` debug lines. */
export function openSocketUsers(proc: Proc): string[] {
  const open = new Map<string, string>();
  for (const line of proc.logged()) {
    if (line.msg === "socket open") open.set(String(line.connectionId), String(line.userId));
    if (line.msg === "socket closed") open.delete(String(line.connectionId));
  }
  return [...open.values()].sort();
}

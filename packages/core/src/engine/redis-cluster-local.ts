/**
 * A throwaway Redis Cluster on this machine, for tests and the bench: N masters (default 3, no
 * replicas) from the `redis-server` on PATH, each in its own dir under one temp dir, persistence
 * off, loopback only; joined with `redis-cli --cluster create`; ready when every node reports
 * cluster_state:ok. `stop()` kills them and deletes the temp dir (also done on process exit).
 *
 *   const cluster = await startLocalRedisCluster();   // { url: "redis+cluster://127.0.0.1:P1,…", ports, … }
 *   … REDIS_URL = cluster.url …
 *   await cluster.kill(); await cluster.restart();    // optional: a whole-cluster outage (data is lost)
 *   await cluster.stop();
 *
 * Ports: P and P + 10000 (the cluster bus) must both be free; picked at random in 20000–45000.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";

export type TLocalRedisCluster = {
  /** REDIS_URL for Parley: `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,…`. */
  url: string;
  /** The masters' ports (each also listens for the cluster bus on port + 10000). */
  ports: number[];
  /** Stops every node and deletes the temp dir; safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILLs every node, keeping their dirs (an outage); `restart()` brings them back. */
  kill(): Promise<void>;
  /** (Re)starts every node on its port with its saved cluster config; resolves at cluster_state:ok. */
  restart(): Promise<void>;
};

export type TLocalRedisClusterOptions = {
  /** Masters (≥ 3, as `redis-cli --cluster create` requires). Default 3. */
  masters?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
};

const BUS_OFFSET = 10_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Why a local cluster cannot be started here (redis-server or redis-cli missing), or null. */
export function localRedisClusterUnavailable(): string | null {
  for (const bin of ["redis-server", "redis-cli"]) {
    const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
    if (r.error || r.status !== 0) return `${bin} is not installed (sudo apt-get install redis-server)`;
  }
  return null;
}

/** Starts the cluster (see the file header); rejects, leaving nothing behind, when it cannot. */
export async function startLocalRedisCluster(
  options: TLocalRedisClusterOptions = {},
): Promise<TLocalRedisCluster> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 3) throw new Error("a Redis Cluster needs at least 3 masters");
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const dir = mkdtempSync(path.join(tmpdir(), "parley-redis-cluster-"));
  const children = new Map<number, TNode>();
  let stopped = false;
  const onExit = () => {
    for (const node of children.values()) node.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);
  const killNodes = async (signal: NodeJS.Signals) => {
    await Promise.all([...children.values()].map((node) => endNode(node, signal)));
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", onExit);
    await killNodes("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const ports: number[] = [];
    while (ports.length < masters) {
      const port = await freeClusterPort(ports);
      mkdirSync(path.join(dir, String(port)));
      const node = startNode(dir, port);
      children.set(port, node);
      if (await waitForPing(port, node.child, deadline)) {
        ports.push(port);
        log(`redis cluster: node on ${port}`);
      } else if (!hasExited(node.child)) {
        throw new Error(`redis-server on ${port} did not answer PING in time`);
      } else {
        children.delete(port);
        if (Date.now() > deadline) throw new Error(`redis-server on ${port} exited:\n${node.output()}`);
        // else a port race with another process: try another port
      }
    }

    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    const create = await run("redis-cli", [
      "--cluster",
      "create",
      ...nodes,
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    if (create.code !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.output}`);
    await waitForClusterOk(ports, deadline);
    log(`redis cluster: ${masters} masters ready (${ports.join(", ")})`);
    return {
      url: `redis+cluster://${nodes.join(",")}`,
      ports,
      stop,
      async kill() {
        await killNodes("SIGKILL");
      },
      async restart() {
        if (stopped) throw new Error("the local Redis Cluster was stopped");
        await killNodes("SIGKILL");
        const until = Date.now() + timeoutMs;
        for (const port of ports) {
          const node = startNode(dir, port);
          children.set(port, node);
          if (!(await waitForPing(port, node.child, until))) {
            throw new Error(`redis-server on ${port} did not come back:\n${node.output()}`);
          }
        }
        await waitForClusterOk(ports, until);
        log("redis cluster: restarted");
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

type TNode = { child: ChildProcess; output: () => string };

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** One cluster node in `<dir>/<port>` (its nodes.conf there too, so a restart rejoins the cluster). */
function startNode(dir: string, port: number): TNode {
  const nodeDir = path.join(dir, String(port));
  const child = spawn(
    "redis-server",
    [
      ["--port", String(port)],
      ["--bind", "127.0.0.1"],
      ["--cluster-enabled", "yes"],
      ["--cluster-config-file", path.join(nodeDir, "nodes.conf")],
      ["--cluster-node-timeout", "5000"],
      ["--dir", nodeDir],
      ["--save", ""],
      ["--appendonly", "no"],
      ["--protected-mode", "no"],
    ].flat(),
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + String(chunk)).slice(-4_000); // the tail says why it stopped
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { child, output: () => output.trim() };
}

/** Ends a node with `signal` (SIGKILL after 3 s) and resolves once it has exited. */
function endNode(node: TNode, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (hasExited(node.child)) return resolve();
    const timer = setTimeout(() => node.child.kill("SIGKILL"), 3_000);
    node.child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    node.child.kill(signal);
  });
}

/** A port P where P and P + 10000 are free and not already chosen. */
async function freeClusterPort(taken: readonly number[]): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 25_000);
    if (taken.some((t) => Math.abs(t - port) < 2)) continue;
    if ((await canListen(port)) && (await canListen(port + BUS_OFFSET))) return port;
  }
  throw new Error("no free port pair (P, P + 10000) for a Redis Cluster node");
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** True once the node answers PING; false when it exited first or the deadline passed. */
async function waitForPing(port: number, child: ChildProcess, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const redis = new Redis(port, "127.0.0.1", {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    redis.on("error", () => {});
    try {
      await redis.connect();
      if ((await redis.ping()) === "PONG") return true;
    } catch {
      // not listening yet
    } finally {
      redis.disconnect();
    }
    await sleep(50);
  }
  return false;
}

/** Waits until every node says cluster_state:ok (all slots assigned and agreed on). */
async function waitForClusterOk(ports: readonly number[], deadline: number): Promise<void> {
  const clients = ports.map((p) => new Redis(p, "127.0.0.1", { maxRetriesPerRequest: 1 }));
  try {
    for (;;) {
      const infos = await Promise.all(clients.map((c) => c.cluster("INFO") as Promise<string>));
      if (infos.every((info) => /cluster_state:ok/.test(info))) return;
      if (Date.now() > deadline)
        throw new Error(`the Redis Cluster did not reach cluster_state:ok:\n${infos[0]}`);
      await sleep(100);
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c) => {
      output += String(c);
    });
    child.stderr.on("data", (c) => {
      output += String(c);
    });
    child.once("error", (err) => resolve({ code: 1, output: `${output}${err.message}` }));
    child.once("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

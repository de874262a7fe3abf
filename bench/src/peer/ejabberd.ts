/**
 * A private ejabberd for the peer benchmark: its own config, spool, logs and Erlang cookie in a
 * temp dir, a c2s listener on a spare loopback port (no TLS), an Erlang distribution port of its
 * own (no epmd), started with `ejabberdctl foreground` through `setpriv` (not `su`: pam_limits
 * would cut open files to 1,024) so it keeps this process's 20,000. `stop()` ends it and removes
 * the dir; `stopSync()` does the same from an exit handler. The distribution's own ejabberd
 * service (/etc/ejabberd, /var/lib/ejabberd) is never used.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, rssKb, sleep } from "./util.ts";

/** Where Debian puts it; `PEER_EJABBERDCTL` overrides (e.g. a missing path to check the skip). */
export const EJABBERDCTL = process.env.PEER_EJABBERDCTL ?? "/usr/sbin/ejabberdctl";

/** Stops every instance started here (exit and signal handlers call it; synchronous). */
const running = new Set<() => void>();
export function stopAllSync(): void {
  for (const stop of [...running]) stop();
}
export const DOMAIN = "localhost";
export const MUC_DOMAIN = `conference.${DOMAIN}`;
export const PASSWORD = "bench-pw";

/** Why the peer cannot run here, or null when it can. */
export function peerUnavailable(): string | null {
  if (!existsSync(EJABBERDCTL)) return "ejabberd is not installed (apt-get install ejabberd)";
  if (!existsSync("/usr/bin/erl")) return "erl (erlang-base) is missing";
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0 && userName() !== "ejabberd")
    return "starting ejabberd needs root (for setpriv) or the ejabberd user";
  if (uid === 0 && !existsSync("/usr/bin/setpriv")) return "setpriv (util-linux) is missing";
  return null;
}

function userName(): string {
  try {
    return execFileSync("id", ["-un"], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

/** The running ejabberd's own system service, if the package started one (we never measure it). */
export function systemEjabberdPids(ownNode?: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmd.includes("beam") && cmd.includes("ejabberd") && !(ownNode && cmd.includes(ownNode)))
        pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

function configYaml(c2sPort: number, mucPresence: TMucPresence): string {
  return `# Written by bench/src/peer/ejabberd.ts for one benchmark run.
hosts: ["${DOMAIN}"]
loglevel: warning
log_rotate_count: 0
auth_method: internal
auth_password_format: plain
disable_sasl_mechanisms: ["DIGEST-MD5", "X-OAUTH2", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"]
cache_size: 50000
listen:
  - port: ${c2sPort}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    shaper: none
    access: c2s
    starttls: false
    starttls_required: false
    max_stanza_size: 262144
    backlog: 1024
shaper_rules:
  max_user_offline_messages: 100000
  max_user_sessions: 10
acl:
  local:
    user_regexp: ""
access_rules:
  c2s:
    allow: all
  local:
    allow: local
  muc_create:
    allow: local
modules:
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_muc:
    host: "conference.@HOST@"
    access: all
    access_create: muc_create
    max_users: 5000
    history_size: 0
    default_room_options:
      max_users: 5000
      mam: false
      presence_broadcast: ${mucPresence === "all" ? "[moderator, participant, visitor]" : "[moderator]"}
  mod_ping: {}
`;
}

/** Whose presence a MUC room broadcasts: `moderator` (the owner only) keeps a big join linear. */
export type TMucPresence = "moderator" | "all";

export type TEjabberd = {
  port: number;
  node: string;
  dir: string;
  /** The beam.smp process (RSS and CPU are read from it). */
  beamPid: number;
  rss(): number;
  /** Evaluates an Erlang expression on the node (one short-lived hidden node per call, ~1 s). */
  eval(expression: string): string;
  /** Registers `${prefix}0 … ${prefix}{count-1}` with PASSWORD; returns ms taken. */
  register(prefix: string, count: number): number;
  stop(): Promise<void>;
  stopSync(): void;
};

export async function startEjabberd(
  log: (line: string) => void,
  mucPresence: TMucPresence = "moderator",
): Promise<TEjabberd> {
  const dir = mkdtempSync(path.join(tmpdir(), "parley-peer-"));
  let pgid = 0; // ejabberdctl's process group (detached): ejabberdctl, erl, beam.smp, erl_child_setup
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    running.delete(stopSync);
    try {
      if (pgid) process.kill(-pgid, "SIGKILL");
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  running.add(stopSync);
  const [port, distPort] = [await freePort(), await freePort()];
  const node = `parleypeer${process.pid}@localhost`;
  const isRoot = process.getuid?.() === 0;
  mkdirSync(path.join(dir, "spool"));
  mkdirSync(path.join(dir, "logs"));
  writeFileSync(path.join(dir, "ejabberd.yml"), configYaml(port, mucPresence));
  writeFileSync(
    path.join(dir, "ejabberdctl.cfg"),
    `ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"\nERL_DIST_PORT=${distPort}\nINET_DIST_INTERFACE=127.0.0.1\nERLANG_NODE=${node}\n`,
  );
  if (existsSync("/etc/ejabberd/inetrc")) copyFileSync("/etc/ejabberd/inetrc", path.join(dir, "inetrc"));
  writeFileSync(path.join(dir, ".erlang.cookie"), `parleybench${process.pid}${Date.now()}`, { mode: 0o400 });
  if (isRoot) {
    const ids = execFileSync("id", ["-u", "ejabberd"], { encoding: "utf8" }).trim();
    const gid = Number(execFileSync("id", ["-g", "ejabberd"], { encoding: "utf8" }).trim());
    const chownAll = (p: string) => {
      chownSync(p, Number(ids), gid);
      for (const e of readdirSync(p, { withFileTypes: true })) {
        if (e.isDirectory()) chownAll(path.join(p, e.name));
        else chownSync(path.join(p, e.name), Number(ids), gid);
      }
    };
    chownAll(dir);
  }
  const asEjabberd = (cmd: string, args: string[]): [string, string[]] =>
    isRoot
      ? ["setpriv", ["--reuid=ejabberd", "--regid=ejabberd", "--init-groups", "--", cmd, ...args]]
      : [cmd, args];
  const env = { ...process.env, HOME: dir };
  const ctlArgs = [
    "--config-dir",
    dir,
    "--config",
    path.join(dir, "ejabberd.yml"),
    "--ctl-config",
    path.join(dir, "ejabberdctl.cfg"),
    "--logs",
    path.join(dir, "logs"),
    "--spool",
    path.join(dir, "spool"),
    "--node",
    node,
  ];
  const [cmd, args] = asEjabberd(EJABBERDCTL, [...ctlArgs, "foreground"]);
  const child: ChildProcess = spawn(cmd, args, {
    cwd: dir,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  child.stderr?.on("data", (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  pgid = child.pid ?? 0;

  const stop = async () => {
    if (stopped) return;
    const beam = findBeam(node);
    if (beam) {
      try {
        process.kill(beam, "SIGTERM"); // the VM's init:stop()
      } catch {}
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    }
    stopSync();
  };

  const evalErl = (expression: string): string => {
    const [c, a] = asEjabberd("/usr/bin/erl", [
      "-sname",
      `ctl${process.pid}x${Math.floor(Math.random() * 1e6)}@localhost`,
      "-hidden",
      "-noinput",
      "-erl_epmd_port",
      String(distPort),
      "-start_epmd",
      "false",
      "-dist_listen",
      "false",
      "-eval",
      `R = rpc:call('${node}', erlang, apply, [fun() -> ${expression} end, []], 600000), io:format("~p~n", [R]), halt().`,
    ]);
    return execFileSync(c, a, { cwd: dir, env, encoding: "utf8", timeout: 620_000 }).trim();
  };

  // Wait for the c2s port and the node to answer.
  const startedAt = Date.now();
  let beamPid = 0;
  for (;;) {
    if (exited) {
      stopSync();
      throw new Error(`ejabberd exited during start:\n${output}`);
    }
    beamPid = beamPid || findBeam(node);
    if (beamPid && (await portOpen(port))) break;
    if (Date.now() - startedAt > 60_000) {
      stopSync();
      throw new Error(`ejabberd did not open port ${port} within 60 s:\n${output}`);
    }
    await sleep(200);
  }
  const limit = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${beamPid}/limits`, "utf8"))?.[1];
  log(
    `peer: ejabberd node ${node} (beam pid ${beamPid}, open files ${limit}) up in ${Date.now() - startedAt} ms, c2s 127.0.0.1:${port}, dir ${dir}`,
  );

  return {
    port,
    node,
    dir,
    beamPid,
    rss: () => rssKb(beamPid),
    eval: evalErl,
    register(prefix, count) {
      const t0 = Date.now();
      // One Mnesia write per user inside the node (ejabberdctl register starts a VM per user: ~1.2 s each).
      const out = evalErl(
        `lists:foldl(fun(I, Acc) -> case ejabberd_auth:try_register(<<"${prefix}", (integer_to_binary(I))/binary>>, <<"${DOMAIN}">>, <<"${PASSWORD}">>) of ok -> Acc + 1; {error, exists} -> Acc + 1; _ -> Acc end end, 0, lists:seq(0, ${count - 1}))`,
      );
      if (Number(out) !== count) throw new Error(`registered ${out} of ${count} users`);
      return Date.now() - t0;
    },
    stop,
    stopSync,
  };
}

function findBeam(node: string): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmd.includes("beam.smp") && cmd.includes(`-sname\0${node}\0`)) return Number(entry);
    } catch {}
  }
  return 0;
}

async function portOpen(port: number): Promise<boolean> {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/**
 * What the servers' log lines carry: pino JSON with the request id on every line of an HTTP
 * request (taken from x-request-id or made, echoed in the response), the connection id on every
 * line about a socket, and never a secret, cookie, token or body (logging.ts). No database: the
 * gateway here authenticates every upgrade as one user and has no command handlers.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { processLogger, setProcessLogger } from "@parley/core";
import type { TServerEvent } from "@parley/protocol";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createGateway } from "./gateway.ts";
import { createLogger, withRequestId } from "./logging.ts";

/** A logger whose JSON lines are kept in `lines` (and their raw text in `raw`). */
function capturedLogger(level = "debug") {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      raw.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ service: "test", level }, destination);
  const lines = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, raw, lines };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const listening = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  setProcessLogger(null);
});

describe("server logs", () => {
  it("puts the request id on every line of a request, echoes it, and censors secrets and bodies", async () => {
    const { logger, raw, lines } = capturedLogger();
    setProcessLogger(logger);
    const server = createServer((req, res) =>
      withRequestId(req, res, async () => {
        // Lines from deep inside (awaits, the process logger other packages use) carry the id too.
        await sleep(5);
        processLogger().info(
          {
            headers: req.headers,
            password: "hunter2-password",
            user: { token: "plt_secret_token_value", name: "Ann" },
            message: { body: "a private message body" },
          },
          "handled",
        );
        res.end("ok");
      }),
    );
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = await listening(server);

    const given = await fetch(`http://127.0.0.1:${port}/x`, {
      headers: {
        "x-request-id": "proxy-id-123",
        authorization: "Bearer plt_header_token_value",
        cookie: "next-auth.session-token=cookie-secret-value",
      },
    });
    expect(given.headers.get("x-request-id")).toBe("proxy-id-123");
    const made = await fetch(`http://127.0.0.1:${port}/y`);
    const madeId = made.headers.get("x-request-id");
    expect(madeId).toMatch(/^[0-9a-f-]{36}$/);
    // A header that is not a plain id (spaces, too long) is replaced, never logged as given.
    const odd = await fetch(`http://127.0.0.1:${port}/z`, { headers: { "x-request-id": "a b c" } });
    expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    const handled = lines().filter((line) => line.msg === "handled");
    expect(handled.map((line) => line.requestId)).toEqual([
      "proxy-id-123",
      madeId,
      odd.headers.get("x-request-id"),
    ]);
    const first = handled[0] as {
      password: string;
      user: { token: string; name: string };
      message: { body: string };
      headers: Record<string, string>;
    };
    expect(first.password).toBe("[redacted]");
    expect(first.user).toEqual({ token: "[redacted]", name: "Ann" });
    expect(first.message.body).toBe("[redacted]");
    expect(first.headers.authorization).toBe("[redacted]");
    expect(first.headers.cookie).toBe("[redacted]");
    for (const secret of ["hunter2", "plt_secret", "plt_header", "cookie-secret", "private message"]) {
      expect(raw.join("\n")).not.toContain(secret);
    }
  });

  it("puts the connection id on every line about a socket and never logs the token in its URL", async () => {
    const { raw, lines, logger } = capturedLogger();
    const userId = randomUUID();
    const gateway = await createGateway({
      port: 0,
      host: "127.0.0.1",
      authenticate: async () => ({ userId, role: "member" }),
      logger,
    });
    cleanups.push(() => gateway.close({ timeoutMs: 500 }));
    const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws?token=plt_url_token_value`, {
      headers: { "x-request-id": "upgrade-id-7" },
    });
    const upgraded = new Promise<string | undefined>((resolve) =>
      ws.once("upgrade", (res) => resolve(res.headers["x-request-id"] as string | undefined)),
    );
    const welcome = await new Promise<TServerEvent>((resolve) =>
      ws.once("message", (data) => resolve(JSON.parse(String(data)) as TServerEvent)),
    );
    expect(await upgraded).toBe("upgrade-id-7");
    if (welcome.type !== "welcome") throw new Error(`expected welcome, got ${welcome.type}`);
    ws.send("not json");
    await new Promise((resolve) => ws.once("message", resolve)); // the BAD_FRAME answer
    ws.close();
    for (let i = 0; !lines().some((line) => line.msg === "socket closed"); i++) {
      if (i > 200) throw new Error(`no "socket closed" line in ${raw.join("\n")}`);
      await sleep(10);
    }
    const aboutSocket = lines().filter((line) => String(line.msg).startsWith("socket"));
    expect(aboutSocket.map((line) => line.msg)).toEqual(["socket open", "socket closed"]);
    for (const line of aboutSocket) expect(line.connectionId).toBe(welcome.connectionId);
    // The upgrade's own line carries its request id too.
    expect(aboutSocket[0]?.requestId).toBe("upgrade-id-7");
    expect(raw.join("\n")).not.toContain("plt_url_token_value");
  });
});

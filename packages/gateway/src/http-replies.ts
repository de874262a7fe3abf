/** The few raw HTTP answers the gateway writes itself (a refused upgrade, its JSON endpoints). */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { TReadinessReport } from "@parley/core";

/**
 * A raw socket's error listener during the upgrade. Shared, never a closure: a closure made in
 * the upgrade handler would keep that call's `req` (headers and all) alive as long as the socket.
 */
export function destroyOnError(this: Duplex): void {
  this.destroy();
}

export function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`,
    "Connection: close",
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(status === 401 ? ['WWW-Authenticate: Bearer realm="parley"'] : []),
  ];
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once("finish", () => socket.destroy());
  socket.end(`${headers.join("\r\n")}\r\n\r\n${body}`);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
  });
  res.end(body);
}

/** What `answerHealth` reports on: whether the process is draining, and its readiness checks. */
export type THealthSource = {
  isClosing(): boolean;
  /** The readiness probe (core's createReadiness); without one `/readyz` only reflects draining. */
  readiness?: () => Promise<TReadinessReport>;
  /** Extra fields of the `/healthz` body (a gateway adds its connection count). */
  details?: () => Record<string, unknown>;
};

/**
 * Answers `GET /healthz` (alive: the process runs and is not draining; no dependency is asked) and
 * `GET /readyz` (the readiness report: 200 when every check is ok, 503 otherwise or while
 * draining) on any node http server; false for every other request, which the caller answers.
 */
export function answerHealth(req: IncomingMessage, res: ServerResponse, source: THealthSource): boolean {
  if (req.method !== "GET") return false;
  const path = (req.url ?? "/").split("?", 1)[0];
  if (path === "/healthz") {
    // 503 while draining, so a load balancer stops sending new sockets here.
    const details = source.details?.() ?? {};
    if (source.isClosing()) sendJson(res, 503, { status: "shutting_down", ...details });
    else sendJson(res, 200, { status: "ok", ...details });
    return true;
  }
  if (path !== "/readyz") return false;
  if (source.isClosing()) {
    sendJson(res, 503, { status: "shutting_down", checks: {} });
    return true;
  }
  const probe =
    source.readiness ?? (() => Promise.resolve({ status: "ready", checks: {} }) as Promise<TReadinessReport>);
  probe().then(
    (report) => sendJson(res, report.status === "ready" ? 200 : 503, report),
    () => sendJson(res, 503, { status: "unavailable", checks: {} }),
  );
  return true;
}

/**
 * `GET /metrics` (Prometheus text format, core's metrics registry) on a listener of its own —
 * never on the public port, so a proxy in front of the app cannot expose it by accident. Bound to
 * loopback by default (METRICS_HOST); with METRICS_TOKEN every scrape must send
 * `Authorization: Bearer <token>` (required by @parley/config when the host is not loopback).
 * Started by startRealtime in every process (the web server and each gateway).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { metrics } from "@parley/core";
import type { Logger } from "pino";
import { sendJson } from "./http-replies.ts";

/** Options of startMetricsServer. */
export type TMetricsServerOptions = {
  /** Port (0: a free one, see `port` of the result). */
  port: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** When set, scrapes must carry `Authorization: Bearer <token>`. */
  token?: string;
  logger?: Logger;
};

/** A running metrics listener. */
export type TMetricsServer = {
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
};

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Starts the metrics listener; resolves once it listens. */
export async function startMetricsServer(options: TMetricsServerOptions): Promise<TMetricsServer> {
  const { registry } = metrics();
  // Compared as digests: equal lengths, and no timing hint about the token.
  const wanted = options.token ? digest(`Bearer ${options.token}`) : null;
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    if (req.method !== "GET" || path !== "/metrics") {
      sendJson(res, 404, { error: { code: "NOT_FOUND", message: "Not found (metrics: GET /metrics)" } });
      return;
    }
    if (wanted && !timingSafeEqual(digest(req.headers.authorization ?? ""), wanted)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="parley-metrics"');
      sendJson(res, 401, { error: { code: "UNAUTHORIZED", message: "A valid bearer token is required" } });
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "Content-Type": registry.contentType, "Cache-Control": "no-store" });
        res.end(text);
      },
      (err: unknown) => {
        options.logger?.error({ err }, "collecting metrics failed");
        sendJson(res, 500, { error: { code: "INTERNAL", message: "Collecting metrics failed" } });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port, host: options.host ?? "127.0.0.1" }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

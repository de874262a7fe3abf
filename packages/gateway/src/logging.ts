/**
 * Parley's server logs: pino JSON lines on stdout, at LOG_LEVEL, for the web server and every
 * gateway alike (ARCHITECTURE "Operations").
 *
 * - Every line written while an HTTP request is handled carries its `requestId` (the proxy's
 *   `x-request-id` when sane, else a fresh UUID, echoed in the response's `x-request-id`):
 *   `withRequestId` runs the handler in core's request scope and the logger's mixin reads it, so
 *   code deep in core or in Next's bundle needs no id passed down.
 * - Every line about a socket carries its `connectionId` (the one `welcome` tells the client);
 *   lines about an upgrade carry the upgrade's `requestId`, as a field the gateway passes by hand:
 *   a standalone gateway never enters the request scope, which would turn on Node 20's promise
 *   hooks for the whole process (gateway.ts `onUpgrade`).
 * - Never a secret or a body: the paths below are censored wherever they appear (two levels deep),
 *   and request URLs are logged without their query (a socket's `?token=` / `?ticket=`).
 *   Adding a field that may hold one: add its name here (logging.integration.test.ts checks); a
 *   setting: mark it `secret` in @parley/config's schema instead.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { SECRET_SETTINGS } from "@parley/config";
import { currentRequestId, REQUEST_ID_HEADER, requestIdFrom, runWithRequestId } from "@parley/core";
import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";

/** Field names whose values never reach a log line (and every setting the config marks secret). */
const SECRET_FIELDS = [
  "password",
  "newPassword",
  "token",
  "ticket",
  "secret",
  "authorization",
  "cookie",
  "set-cookie",
  "body",
  ...SECRET_SETTINGS,
];

/** pino `redact` paths: each field at the top, one and two levels down (`req.headers.cookie`). */
export const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`;
  const at = (prefix: string) => (key.startsWith("[") ? `${prefix}${key}` : `${prefix}.${key}`);
  return [key.startsWith("[") ? `*${key}` : key, at("*"), at("*.*")].filter(
    (path, i, all) => all.indexOf(path) === i,
  );
});

/** The process's logger (install it with core's `setProcessLogger` too). */
export function createLogger(
  options: { service: string; level: string },
  destination?: DestinationStream,
): Logger {
  const config: LoggerOptions = {
    level: options.level,
    base: { service: options.service },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    mixin() {
      const requestId = currentRequestId();
      return requestId === undefined ? {} : { requestId };
    },
  };
  return destination ? pino(config, destination) : pino(config);
}

/**
 * Gives an HTTP request its id (from `x-request-id` or fresh), echoes it in the response header,
 * and runs `handle` in its scope, so every line logged while handling it carries `requestId`.
 */
export function withRequestId(req: IncomingMessage, res: ServerResponse, handle: () => void): void {
  const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
  req.headers[REQUEST_ID_HEADER] = requestId;
  res.setHeader(REQUEST_ID_HEADER, requestId);
  runWithRequestId(requestId, handle);
}

/** A request's path without its query string (which may carry a token or a signature). */
export function pathOf(url: string | undefined): string {
  return (url ?? "/").split("?", 1)[0] ?? "/";
}

/**
 * The process's logger and the request a line belongs to, shared by every copy of core in the
 * process (like the event sink: kept on globalThis, so the copy inside Next's bundle logs through
 * the pino logger apps/web/server.ts made, with the request id server.ts gave the request).
 *
 * Apps build the logger (@parley/gateway `createLogger`: pino JSON, LOG_LEVEL, redaction, and a
 * `requestId` on every line written inside `runWithRequestId`) and install it with
 * `setProcessLogger`; core, api and the gateway log through `processLogger()`, which falls back
 * to the console until one is installed (scripts, tests). Core itself depends on no logger
 * library: `TLogger` is the part of pino's API Parley uses.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

/** One level's method: `(fields, message)` or `(message)`, as pino takes them. */
export type TLogFn = {
  (fields: object, message?: string): void;
  (message: string): void;
};

/** A structured logger (pino's shape). */
export type TLogger = {
  fatal: TLogFn;
  error: TLogFn;
  warn: TLogFn;
  info: TLogFn;
  debug: TLogFn;
  trace: TLogFn;
  child(bindings: Record<string, unknown>): TLogger;
};

/** The HTTP header that carries a request's id in (from a proxy) and out (to the client). */
export const REQUEST_ID_HEADER = "x-request-id";

/** An id a proxy may hand us: short, printable, no spaces (anything else is replaced by a fresh one). */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

type TLogging = {
  logger: TLogger | null;
  requests: AsyncLocalStorage<{ requestId: string }>;
};

const LOGGING_KEY = Symbol.for("parley.logging");
const holder = globalThis as typeof globalThis & { [LOGGING_KEY]?: TLogging };
holder[LOGGING_KEY] ??= { logger: null, requests: new AsyncLocalStorage() };
const logging = holder[LOGGING_KEY];

/** Installs the process's logger (every copy of core in the process logs through it). */
export function setProcessLogger(logger: TLogger | null): void {
  logging.logger = logger;
}

/** The process's logger; the console (errors and warnings only) until an app installs one. */
export function processLogger(): TLogger {
  return logging.logger ?? consoleLogger;
}

/** The request id to use for an incoming request: the proxy's `x-request-id` when sane, else a fresh one. */
export function requestIdFrom(header: string | readonly string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === "string" && ACCEPTED_REQUEST_ID.test(value) ? value : randomUUID();
}

/** Runs `fn` as part of request `requestId`: every line logged meanwhile (awaits included) carries it. */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return logging.requests.run({ requestId }, fn);
}

/** The id of the request the current code runs for, if any. */
export function currentRequestId(): string | undefined {
  return logging.requests.getStore()?.requestId;
}

const consoleFn =
  (write: (...args: unknown[]) => void): TLogFn =>
  (fieldsOrMessage: object | string, message?: string) => {
    if (typeof fieldsOrMessage === "string") write(fieldsOrMessage);
    else write(message ?? "", fieldsOrMessage);
  };
const ignore: TLogFn = () => {};
const consoleLogger: TLogger = {
  fatal: consoleFn((...args) => console.error(...args)),
  error: consoleFn((...args) => console.error(...args)),
  warn: consoleFn((...args) => console.warn(...args)),
  info: ignore,
  debug: ignore,
  trace: ignore,
  child: () => consoleLogger,
};

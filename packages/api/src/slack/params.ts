/**
 * Reading a Slack call's arguments: they arrive as query parameters, a form-encoded body or a JSON
 * body (all merged, the body winning), so every value may be a string where Slack documents a
 * number, boolean or JSON array. Cursors are opaque to clients: base64url of `<kind>:<number>`.
 */
import { isUuid } from "@parley/core";
import { SlackError } from "./errors.ts";

/** A call's arguments, as received. */
export type TSlackParams = Record<string, unknown>;

/** A string argument (numbers and booleans as their text); undefined when absent or empty. */
export function str(p: TSlackParams, name: string): string | undefined {
  const v = p[name];
  if (typeof v === "string") return v === "" ? undefined : v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/** A boolean argument: true, "true" or "1". */
export function bool(p: TSlackParams, name: string): boolean {
  const v = p[name];
  return v === true || v === "true" || v === "1" || v === 1;
}

/** A page size: `fallback` when absent, capped at `max`; invalid_limit when not a positive integer. */
export function limit(p: TSlackParams, fallback: number, max: number): number {
  const raw = str(p, "limit");
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new SlackError("invalid_limit");
  // Slack reads 0 as "the default".
  return n === 0 ? fallback : Math.min(n, max);
}

/** A JSON argument that may arrive as a JSON string (form bodies). */
export function json(p: TSlackParams, name: string): unknown {
  const v = p[name];
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    throw new SlackError("invalid_arguments", {
      response_metadata: { messages: [`${name}: not valid JSON`] },
    });
  }
}

/** The `channel` argument: a conversation id (lower-cased); channel_not_found for anything else. */
export function channelId(p: TSlackParams, name = "channel"): string {
  const id = str(p, name)?.trim().toLowerCase();
  if (!id || !isUuid(id)) throw new SlackError("channel_not_found");
  return id;
}

/** A user id argument; user_not_found when it is not one. */
export function userId(p: TSlackParams, name = "user"): string {
  const id = str(p, name)?.trim().toLowerCase();
  if (!id || !isUuid(id)) throw new SlackError("user_not_found");
  return id;
}

/** A cursor for the next page: `kind` says what `value` is (a seq, an offset). */
export function encodeCursor(kind: string, value: number): string {
  return Buffer.from(`${kind}:${value}`).toString("base64url");
}

/** The cursor argument's value for `kind`, or undefined without one; invalid_cursor when garbled. */
export function decodeCursor(p: TSlackParams, kind: string): number | undefined {
  const raw = str(p, "cursor");
  if (raw === undefined) return undefined;
  const text = Buffer.from(raw, "base64url").toString();
  const match = /^([a-z]+):(\d{1,15})$/.exec(text);
  if (!match || match[1] !== kind) throw new SlackError("invalid_cursor");
  return Number(match[2]);
}

/**
 * One page of an in-memory list whose items have unique ids (channels, people, members), with
 * Slack's `response_metadata`. Items go in id order and the cursor is the last id given, so the
 * next page starts right after it whatever changed meanwhile: an item there from the first page
 * to the last is listed exactly once (an offset would list one twice, or skip one, when an item
 * before it comes or goes between two pages; a rename moves nothing).
 */
export function keysetPage<T>(
  p: TSlackParams,
  items: readonly T[],
  idOf: (item: T) => string,
  fallback: number,
  max: number,
) {
  const size = limit(p, fallback, max);
  const raw = str(p, "cursor");
  let after: string | undefined;
  if (raw !== undefined) {
    const match = /^after:([0-9a-f-]{36})$/.exec(Buffer.from(raw, "base64url").toString());
    if (!match) throw new SlackError("invalid_cursor");
    after = match[1];
  }
  const sorted = [...items].sort((a, b) => (idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : 0));
  const from = after;
  const rest = from === undefined ? sorted : sorted.filter((item) => idOf(item) > from);
  const page = rest.slice(0, size);
  const last = page.at(-1);
  const next = rest.length > size && last ? Buffer.from(`after:${idOf(last)}`).toString("base64url") : "";
  return { page, response_metadata: { next_cursor: next } };
}

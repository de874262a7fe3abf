/**
 * A bus message on Redis pub/sub: JSON `{userIds?, frame, header?}` (header: the BusHeader
 * envelope). Written by one process's `publish`, read by every subscriber's `dispatch`, which
 * checks it (another process, maybe another version, wrote it).
 */
import type { TBusHeader, TBusMessage } from "./types.ts";

/** The wire text of a bus message (only its known fields). */
export function encodeBusMessage(message: TBusMessage): string {
  const wire: TBusMessage = message.userIds
    ? { userIds: message.userIds, frame: message.frame }
    : { frame: message.frame };
  if (message.header) wire.header = message.header;
  return JSON.stringify(wire);
}

/** Parses and checks a bus message from Redis; throws on anything malformed. */
export function decodeBusMessage(raw: string): TBusMessage {
  const parsed = JSON.parse(raw) as { userIds?: unknown; frame?: unknown; header?: unknown };
  if (typeof parsed.frame !== "string") throw new Error("no frame");
  if (parsed.userIds !== undefined && !Array.isArray(parsed.userIds)) throw new Error("bad userIds");
  const message: TBusMessage = parsed.userIds
    ? { userIds: parsed.userIds as string[], frame: parsed.frame }
    : { frame: parsed.frame };
  if (parsed.header !== undefined) message.header = parseHeader(parsed.header);
  return message;
}

/** Checks the envelope of a bus message from Redis (written by another process's `publish`). */
function parseHeader(value: unknown): TBusHeader {
  const h = value as Partial<Record<"type" | "seq" | "kind" | "conversationId" | "at", unknown>> | null;
  if (
    h === null ||
    typeof h !== "object" ||
    (h.type !== "event" && h.type !== "user.event") ||
    typeof h.seq !== "number" ||
    typeof h.kind !== "string" ||
    (h.conversationId !== undefined && typeof h.conversationId !== "string") ||
    (h.at !== undefined && (h.type !== "event" || !Number.isFinite(h.at))) ||
    (h.type === "event" && typeof h.conversationId !== "string")
  ) {
    throw new Error("bad header");
  }
  return h as TBusHeader;
}

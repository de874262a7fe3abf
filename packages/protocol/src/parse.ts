/**
 * Decoding and encoding frames. `parseClientFrame` is the server's single entry point for inbound
 * bytes: it never throws, and on failure it names the problem precisely enough for a developer to
 * fix their client from the error frame alone.
 */
import type { z } from "zod";
import { ClientCommandSchemas, type TClientCommand } from "./commands.ts";
import { ErrorCode, type TErrorCode } from "./errors.ts";
import { type TFieldIssue, type TServerEvent, ZServerEvent } from "./events.ts";
import { MAX_COMMAND_ID_LENGTH, MAX_FRAME_BYTES } from "./limits.ts";

/** Why a frame was rejected; becomes an `error` frame (with `id` when the frame had a usable one). */
export type TFrameError = { code: TErrorCode; message: string; issues?: TFieldIssue[] };

/** Result of parseClientFrame. */
export type TParseResult =
  | { ok: true; command: TClientCommand }
  | { ok: false; error: TFrameError; id?: string };

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const COMMAND_TYPES = Object.keys(ClientCommandSchemas);

/** UTF-8 size of a string, computed only when the cheap bounds cannot decide. */
function exceedsBytes(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8.encode(text).byteLength > limit;
}

function fail(code: TErrorCode, message: string, id?: string, issues?: TFieldIssue[]): TParseResult {
  const result: TParseResult = { ok: false, error: issues ? { code, message, issues } : { code, message } };
  if (id !== undefined) result.id = id;
  return result;
}

/** Flattens zod issues to `{path, message}` with dotted paths ("(frame)" for the object itself). */
export function toFieldIssues(error: z.ZodError): TFieldIssue[] {
  return error.issues.map((i) => ({
    path: i.path.length > 0 ? i.path.map(String).join(".") : "(frame)",
    message: i.message,
  }));
}

/**
 * Parses one inbound frame (text, or the bytes of a text frame) into a validated command.
 * Never throws; on failure says what is wrong: size, JSON, shape, unknown type or each bad field.
 */
export function parseClientFrame(raw: string | Uint8Array, maxBytes: number = MAX_FRAME_BYTES): TParseResult {
  let text: string;
  if (typeof raw === "string") {
    if (exceedsBytes(raw, maxBytes)) {
      return fail(ErrorCode.FrameTooLarge, `Frame is larger than ${maxBytes} bytes`);
    }
    text = raw;
  } else {
    if (raw.byteLength > maxBytes) {
      return fail(ErrorCode.FrameTooLarge, `Frame is larger than ${maxBytes} bytes`);
    }
    try {
      text = strictUtf8.decode(raw);
    } catch {
      return fail(ErrorCode.BadFrame, "Frame is not valid UTF-8");
    }
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? `: ${err.message}` : "";
    return fail(ErrorCode.BadJson, `Frame is not valid JSON${detail}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(ErrorCode.BadFrame, "Frame must be a JSON object with a string `type`");
  }

  const record = value as Record<string, unknown>;
  // Echo a well-formed id even when the rest is wrong, so the client can fail the right command.
  const id =
    typeof record.id === "string" && record.id.length > 0 && record.id.length <= MAX_COMMAND_ID_LENGTH
      ? record.id
      : undefined;
  const type = record.type;
  if (typeof type !== "string") {
    return fail(ErrorCode.InvalidFields, "type: required (a string naming the command)", id, [
      { path: "type", message: "required" },
    ]);
  }
  if (!Object.hasOwn(ClientCommandSchemas, type)) {
    const shown = type.length > 40 ? `${type.slice(0, 40)}…` : type;
    return fail(
      ErrorCode.UnknownType,
      `Unknown command type "${shown}" (expected one of: ${COMMAND_TYPES.join(", ")})`,
      id,
    );
  }

  const schema = ClientCommandSchemas[type as keyof typeof ClientCommandSchemas];
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error);
    const summary = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    return fail(ErrorCode.InvalidFields, `Invalid "${type}" command: ${summary}`, id, issues);
  }
  return { ok: true, command: parsed.data as TClientCommand };
}

/** Encodes a server frame once; send the same string to every socket that should receive it. */
export function encodeServerEvent(event: TServerEvent): string {
  return JSON.stringify(event);
}

/** Encodes a client command. */
export function encodeClientCommand(command: TClientCommand): string {
  return JSON.stringify(command);
}

/**
 * Client side: decodes a server frame leniently. Returns null for frames to ignore (unknown
 * `type` from a newer server, or garbage), never throws.
 */
export function parseServerFrame(raw: string): TServerEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = ZServerEvent.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** @parley/protocol — the wire contract between clients and the realtime gateway (zod only). */
export {
  CloseCode,
  goingAwayReason,
  isTerminalCloseCode,
  MAX_RECONNECT_WINDOW_MS,
  parseReconnectWindow,
  type TCloseCode,
} from "./close-codes.ts";
export * from "./commands.ts";
export { errorTemplate, formatTemplate, type TErrorParams } from "./error-template.ts";
export { ErrorCode, ErrorReason, type TErrorCode, type TErrorReason } from "./errors.ts";
export * from "./event-kinds.ts";
export * from "./event-payloads.ts";
export * from "./events.ts";
export * from "./ids.ts";
export * from "./limits.ts";
export * from "./mentions.ts";
export {
  encodeClientCommand,
  encodeServerEvent,
  parseClientFrame,
  parseServerFrame,
  type TFrameError,
  type TParseResult,
  toFieldIssues,
} from "./parse.ts";
export { type TSendFields, ZSendFields } from "./send.ts";
export { LINE_CHECK, TEXT_CHECK, textProblem, zLine, zText } from "./text.ts";
export { PROTOCOL_VERSION } from "./version.ts";

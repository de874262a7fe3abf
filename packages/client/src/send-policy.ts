/** How the outbox treats each refusal of a `send` (see outbox.ts). */
import { ErrorCode, type TErrorCode } from "@parley/protocol";

/**
 * What the outbox does when the server refuses a `send` with a code:
 * - `fail`: permanent — the same frame can never succeed; the entry fails at once (the app may
 *   `retry` it after fixing the cause, e.g. rejoining the channel).
 * - `retry`: transient — retried with backoff at most `maxSendRetries` times, then it fails.
 * - `wait`: rate limited — wait (`retryAfterMs` when the frame has it) and retry, with no bound:
 *   the limit always lets it through eventually.
 * Codes not in this table (from a newer server) are treated as `retry`.
 */
export const SEND_ERROR_POLICY: Readonly<Record<TErrorCode, "fail" | "retry" | "wait">> = {
  // About the frame itself: the same bytes get the same answer.
  [ErrorCode.BadJson]: "fail",
  [ErrorCode.BadFrame]: "fail",
  [ErrorCode.UnknownType]: "fail",
  [ErrorCode.InvalidFields]: "fail",
  [ErrorCode.FrameTooLarge]: "fail",
  // This server does not handle sends, or speaks another version (the socket closes 4426 anyway).
  [ErrorCode.NotImplemented]: "fail",
  [ErrorCode.UnsupportedVersion]: "fail",
  // Domain refusals: bad input, no right to post, no such conversation/root/upload, a clash.
  [ErrorCode.BadRequest]: "fail",
  [ErrorCode.Unauthorized]: "fail",
  [ErrorCode.Forbidden]: "fail",
  [ErrorCode.NotFound]: "fail",
  [ErrorCode.Conflict]: "fail",
  [ErrorCode.TooManyRequests]: "wait",
  // A server fault; retrying with the same clientMsgId is safe, but a message that always makes
  // the server fail (a poison message) must not hold its conversation's queue for ever.
  [ErrorCode.Internal]: "retry",
};

/** The policy for a refusal code (SEND_ERROR_POLICY; unknown codes are `retry`). */
export function sendErrorPolicy(code: string): "fail" | "retry" | "wait" {
  return Object.hasOwn(SEND_ERROR_POLICY, code) ? SEND_ERROR_POLICY[code as TErrorCode] : "retry";
}

/**
 * Slack's error answers: `{ ok: false, error: "<code>" }`. Methods throw SlackError with the code
 * Slack documents for the case; core's ParleyErrors that reach the handler are translated by
 * `slackErrorOf`, per kind of thing the method was about (an unknown channel and an unknown
 * message are different codes in Slack, one NOT_FOUND in core).
 */

import { isOutOfScope, isParleyError, isRateLimited } from "@parley/core";
import { ErrorReason } from "@parley/protocol";

/** A Slack error code (and any extra fields Slack puts beside it, e.g. `needed`). */
export class SlackError extends Error {
  override name = "SlackError";
  readonly code: string;
  readonly extra: Record<string, unknown>;

  constructor(code: string, extra: Record<string, unknown> = {}) {
    super(code);
    this.code = code;
    this.extra = extra;
  }
}

/** What a method was acting on, for NOT_FOUND and FORBIDDEN: Slack names each differently. */
export type TSlackSubject = "channel" | "message" | "thread" | "user" | "reaction" | "file";

const NOT_FOUND: Record<TSlackSubject, string> = {
  channel: "channel_not_found",
  message: "message_not_found",
  thread: "thread_not_found",
  user: "user_not_found",
  reaction: "message_not_found",
  file: "file_not_found",
};

/** The Slack answer for an error thrown while `subject` was being acted on (null: an internal error). */
export function slackErrorOf(
  err: unknown,
  subject: TSlackSubject,
  verb: "read" | "post" | "update" | "delete" | "manage",
): SlackError | null {
  if (err instanceof SlackError) return err;
  if (isRateLimited(err)) return new SlackError("ratelimited", { retryAfterSeconds: err.retryAfterSeconds });
  if (isOutOfScope(err)) {
    if (err.missing === "channel") return new SlackError("not_in_channel");
    return new SlackError("missing_scope", {
      needed: err.missing === "read" ? "channels:history" : "chat:write",
    });
  }
  if (!isParleyError(err)) return null;
  switch (err.code) {
    case "NOT_FOUND": {
      if (/^(Conversation|Channel) not found$/.test(err.message)) return new SlackError("channel_not_found");
      if (err.message === "Thread not found") return new SlackError("thread_not_found");
      if (err.message === "Message not found") return new SlackError("message_not_found");
      if (/^Users? not found$/.test(err.message)) return new SlackError("user_not_found");
      if (/^(File|Upload) not found$/.test(err.message)) return new SlackError("file_not_found");
      return new SlackError(NOT_FOUND[subject]);
    }
    case "FORBIDDEN": {
      if (/archived/i.test(err.message)) return new SlackError("is_archived");
      if (err.reason === ErrorReason.EditWindowClosed) return new SlackError("edit_window_closed");
      if (err.reason === ErrorReason.BroadcastRestricted) return new SlackError("restricted_action");
      if (/not a member|join/i.test(err.message)) return new SlackError("not_in_channel");
      if (verb === "update") return new SlackError("cant_update_message");
      if (verb === "delete") return new SlackError("cant_delete_message");
      return new SlackError("restricted_action");
    }
    case "CONFLICT":
      // A client_msg_id is one message: reused for a post to another channel, it is refused.
      if (/clientMsgId was already used/.test(err.message)) {
        return new SlackError("invalid_arguments", {
          response_metadata: { messages: ["client_msg_id: already used for a message in another channel"] },
        });
      }
      return new SlackError(subject === "channel" ? "name_taken" : "already_reacted");
    case "BAD_REQUEST":
      if (/longer than|at most \d+ characters/i.test(err.message)) return new SlackError("msg_too_long");
      if (/is empty/.test(err.message)) return new SlackError("no_text");
      if (/larger than the limit/.test(err.message)) return new SlackError("file_upload_size_restricted");
      return new SlackError("invalid_arguments", { response_metadata: { messages: [err.message] } });
    case "UNAUTHORIZED":
      return new SlackError("invalid_auth");
    case "TOO_MANY_REQUESTS":
      return new SlackError("ratelimited");
    default:
      return null;
  }
}

/**
 * An outbox entry: its shape, the send options it carries and their checks, and the `send` frame
 * it becomes (outbox.ts is the state machine around them).
 */
import {
  MAX_COMMAND_ID_LENGTH,
  type TFieldIssue,
  type TSend,
  toFieldIssues,
  ZSendFields,
} from "@parley/protocol";

/** Where an outbox entry stands: queued, on the wire, stored by the server, or refused. */
export type TOutboxStatus = "pending" | "sending" | "sent" | "failed";

/** A message the user composed, as the UI shows it until its own event arrives. Never mutated. */
export type TOutboxEntry = {
  readonly clientMsgId: string;
  readonly conversationId: string;
  readonly body: string;
  /** A thread reply: the thread's first message. */
  readonly threadRootId?: string;
  /** A thread reply also shown in the channel's main list. */
  readonly alsoInChannel?: boolean;
  /** Ids of the sender's finished uploads to this conversation that the message carries. */
  readonly attachmentIds?: readonly string[];
  readonly status: TOutboxStatus;
  /** ISO time it was composed. */
  readonly createdAt: string;
  /** How many times it was put on the wire in this session. */
  readonly attempts: number;
  /** Set once `sent`. */
  readonly seq?: number;
  readonly messageId?: string;
  /**
   * Set once `failed`: the server's error code and message, and its `reason` (ErrorReason, e.g.
   * BROADCAST_RESTRICTED: the text may be sent without @channel) when it gave one.
   */
  readonly error?: TSendFailure;
};

/**
 * Why a send failed: the error code and English message, the server's `reason` (ErrorReason) and
 * the message's `template` and `params` (for translation) when the server gave them.
 */
export type TSendFailure = {
  code: string;
  message: string;
  reason?: string;
  template?: string;
  params?: Record<string, string | number>;
};

/** Options of `send`: a thread reply (optionally also in the channel) and attachments. */
export type TSendOptions = {
  threadRootId?: string;
  /** Only with `threadRootId`. */
  alsoInChannel?: boolean;
  /** At most MAX_ATTACHMENTS_PER_MESSAGE distinct ids of finished uploads (files.completeUpload). */
  attachmentIds?: readonly string[];
};

/** The option fields of an entry, without empty ones (what the outbox keeps and the frame carries). */
export function sendOptionFields(options: TSendOptions): {
  threadRootId?: string;
  alsoInChannel?: boolean;
  attachmentIds?: string[];
} {
  return {
    ...(options.threadRootId ? { threadRootId: options.threadRootId } : {}),
    ...(options.threadRootId && options.alsoInChannel ? { alsoInChannel: true } : {}),
    ...(options.attachmentIds && options.attachmentIds.length > 0
      ? { attachmentIds: [...options.attachmentIds] }
      : {}),
  };
}

/** What a successful send resolves with. */
export type TSendResult = { seq: number; messageId: string };

/**
 * Rejection of a send: the server refused it (`code` from ErrorCode, `reason` from ErrorReason
 * when the server gave one) or it was discarded.
 */
export class ParleySendError extends Error {
  override readonly name = "ParleySendError";
  /** The server's English template of `message` (`{name}` placeholders), when it sent one. */
  readonly template?: string;
  /** The template's placeholder values. */
  readonly params?: Record<string, string | number>;
  constructor(
    readonly code: string,
    message: string,
    readonly clientMsgId: string,
    readonly reason?: string,
    translatable?: Pick<TSendFailure, "template" | "params">,
  ) {
    super(message);
    if (translatable?.template !== undefined) this.template = translatable.template;
    if (translatable?.params !== undefined) this.params = translatable.params;
  }
}

/** A stand-in command id of the longest allowed length, so a size check holds for any real id. */
export const LONGEST_ID = "s".repeat(MAX_COMMAND_ID_LENGTH);

/** The `send` frame of an outbox entry. */
export function sendCommand(entry: TOutboxEntry, id: string): TSend {
  return {
    type: "send",
    id,
    conversationId: entry.conversationId,
    clientMsgId: entry.clientMsgId,
    body: entry.body,
    ...sendOptionFields(entry),
  };
}

/**
 * A send the app asked for breaks the send rules (protocol's `ZSendFields`, which the server
 * applies too): nothing was queued. `issues` name each field (`body`, `attachmentIds.1`, …) as the
 * server's INVALID_FIELDS / BAD_REQUEST would. A RangeError, as before the rules were shared.
 */
export class ParleySendInputError extends RangeError {
  override readonly name = "ParleySendInputError";
  constructor(readonly issues: TFieldIssue[]) {
    super(`Invalid send: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  }
}

/**
 * Checks a message the app wants to send against `ZSendFields` and returns its option fields;
 * throws ParleySendInputError on input the server would refuse for good. Absent-like options (an
 * empty threadRootId or attachment list, alsoInChannel false) are left out, as the frame leaves them.
 */
export function checkSend(
  conversationId: string,
  clientMsgId: string,
  body: string,
  options: TSendOptions,
): ReturnType<typeof sendOptionFields> {
  const { threadRootId, alsoInChannel, attachmentIds } = options;
  const result = ZSendFields.safeParse({
    conversationId,
    clientMsgId,
    body,
    ...(threadRootId !== undefined && threadRootId !== "" ? { threadRootId } : {}),
    ...(alsoInChannel !== undefined && alsoInChannel !== false ? { alsoInChannel } : {}),
    ...(attachmentIds !== undefined && !(Array.isArray(attachmentIds) && attachmentIds.length === 0)
      ? { attachmentIds: Array.isArray(attachmentIds) ? [...attachmentIds] : attachmentIds }
      : {}),
  });
  if (!result.success) throw new ParleySendInputError(toFieldIssues(result.error));
  return sendOptionFields(result.data);
}

/**
 * The one definition of a valid send. Every entry point derives from `ZSendFields`: the wire's
 * `send` command (commands.ts `ZSend`: these fields plus `type` and `id`), core's `ZSendMessage`
 * (the same schema, body trimmed and held to the operator's MAX_MESSAGE_LENGTH, which tRPC's
 * `messages.send` answers with) and the client SDK's `send()` (refuses the same input before it is
 * queued). So a send refused anywhere is refused everywhere, with the same field paths
 * (protocol's `testing.ts` holds the table the three entry points are tested against).
 *
 * To change a rule: change it here, bump PROTOCOL_VERSION (it changes what the gateway accepts)
 * and add the case to `INVALID_SENDS` in testing.ts.
 */
import { z } from "zod";
import { errorTemplate } from "./error-template.ts";
import { zId } from "./ids.ts";
import { MAX_ATTACHMENTS_PER_MESSAGE, MAX_BODY_LENGTH } from "./limits.ts";
import { zText } from "./text.ts";

type TLoose = { body?: unknown; attachmentIds?: unknown; alsoInChannel?: unknown; threadRootId?: unknown };

/**
 * Runs a cross-field rule even when other fields are wrong (each rule only reads fields that are
 * well typed), so one answer names every problem; not when the input is not an object at all.
 */
const always = {
  when: (payload: z.core.ParsePayload) => typeof payload.value === "object" && payload.value !== null,
};

/** An empty (or only whitespace) body is allowed only with attachments. */
function hasContent(value: unknown): boolean {
  const v = value as TLoose;
  if (typeof v.body !== "string") return true; // the field's own issue says it
  return v.body.trim() !== "" || (Array.isArray(v.attachmentIds) && v.attachmentIds.length > 0);
}

/** `alsoInChannel` only with `threadRootId`. */
function isReplyWhenAlsoInChannel(value: unknown): boolean {
  const v = value as TLoose;
  return v.alsoInChannel !== true || v.threadRootId !== undefined;
}

/**
 * A message to post, as every entry point takes it. Idempotent per (sender, clientMsgId);
 * `threadRootId` makes it a thread reply, `alsoInChannel` (only with a root) shows the reply in the
 * channel too; `attachmentIds` are distinct ids of the sender's finished uploads to this
 * conversation. Strict: an unknown field (a typo such as `threadRootID`) is refused, never dropped.
 * The body's hard ceiling is MAX_BODY_LENGTH; the server also holds it to its configured length.
 */
export const ZSendFields = z
  .strictObject({
    conversationId: zId(),
    clientMsgId: zId(),
    body: zText().max(MAX_BODY_LENGTH, `is longer than ${MAX_BODY_LENGTH} characters`),
    threadRootId: zId().optional(),
    alsoInChannel: z.boolean().optional(),
    attachmentIds: z
      .array(zId())
      .max(
        MAX_ATTACHMENTS_PER_MESSAGE,
        `a message carries at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments`,
      )
      .refine((ids) => new Set(ids).size === ids.length, errorTemplate("lists the same attachment twice"))
      .optional(),
  })
  .refine(hasContent, {
    ...always,
    path: ["body"],
    message: errorTemplate("is empty (a message may be empty only when it carries attachments)"),
  })
  .refine(isReplyWhenAlsoInChannel, {
    ...always,
    path: ["alsoInChannel"],
    message: errorTemplate("is only for thread replies (give threadRootId)"),
  });

export type TSendFields = z.infer<typeof ZSendFields>;

/**
 * Test fixtures shared by every package that takes a send (`@parley/protocol/testing`).
 *
 * `INVALID_SENDS` is the proof that there is one send schema: the same table runs against
 * `ZSendFields` (send.test.ts), the client SDK's `send()` (packages/client), the gateway's `send`
 * command (packages/gateway) and tRPC's `messages.send` over core (packages/api/test); each
 * must refuse every case, naming exactly `paths`. Each case is one the SDK's `send(conversationId,
 * body, options)` can express (the SDK chooses clientMsgId itself). To add a rule to send.ts, add
 * its case here.
 */
import { MAX_ATTACHMENTS_PER_MESSAGE, MAX_BODY_LENGTH } from "./limits.ts";

/** A well-formed UUID that names nothing (validation refuses before anything is looked up). */
export const SOME_ID = "00000000-0000-4000-8000-00000000a001";
const OTHER_ID = "00000000-0000-4000-8000-00000000a002";

/** One invalid send; `conversationId` absent means "a real conversation the sender is in". */
export type TInvalidSend = {
  name: string;
  conversationId?: string;
  body: string;
  options?: { threadRootId?: string; alsoInChannel?: boolean; attachmentIds?: string[] };
  /** The field paths the refusal names (sorted, each once). */
  paths: string[];
};

/** Sends every entry point refuses, with the field paths it must name. */
export const INVALID_SENDS: readonly TInvalidSend[] = [
  { name: "an empty body without attachments", body: "", paths: ["body"] },
  { name: "a body of only whitespace without attachments", body: " \n\t ", paths: ["body"] },
  { name: "a body with NUL", body: "hi\u0000there", paths: ["body"] },
  { name: "a body with a C0 control character", body: "ring \u0007", paths: ["body"] },
  { name: "a body with a lone surrogate", body: "broken \ud83d", paths: ["body"] },
  { name: "a body over the hard limit", body: "x".repeat(MAX_BODY_LENGTH + 1), paths: ["body"] },
  {
    name: "a conversation id that is not a UUID",
    conversationId: "general",
    body: "hi",
    paths: ["conversationId"],
  },
  {
    name: "a thread root that is not a UUID",
    body: "hi",
    options: { threadRootId: "root" },
    paths: ["threadRootId"],
  },
  {
    name: "alsoInChannel without a thread root",
    body: "hi",
    options: { alsoInChannel: true },
    paths: ["alsoInChannel"],
  },
  {
    name: "too many attachments",
    body: "hi",
    options: {
      attachmentIds: Array.from(
        { length: MAX_ATTACHMENTS_PER_MESSAGE + 1 },
        (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      ),
    },
    paths: ["attachmentIds"],
  },
  {
    name: "the same attachment twice",
    body: "",
    options: { attachmentIds: [SOME_ID, OTHER_ID, SOME_ID] },
    paths: ["attachmentIds"],
  },
  {
    name: "an attachment id that is not a UUID",
    body: "hi",
    options: { attachmentIds: [SOME_ID, "file-1"] },
    paths: ["attachmentIds.1"],
  },
  {
    name: "several problems at once",
    conversationId: "general",
    body: "",
    options: { alsoInChannel: true },
    paths: ["alsoInChannel", "body", "conversationId"],
  },
];

/**
 * A case's fields as a `send` frame or tRPC input carries them (no clientMsgId): its conversation
 * id, else `conversationId` (a real conversation the sender is in), its body and its options.
 */
export function invalidSendFields(c: TInvalidSend, conversationId: string): Record<string, unknown> {
  return { conversationId: c.conversationId ?? conversationId, body: c.body, ...c.options };
}

/** The distinct field paths of some issues, sorted: what `INVALID_SENDS[].paths` is compared to. */
export function issuePaths(issues: readonly { path: string | readonly PropertyKey[] }[]): string[] {
  const paths = issues.map((i) => (typeof i.path === "string" ? i.path : i.path.map(String).join(".")));
  return [...new Set(paths)].sort();
}

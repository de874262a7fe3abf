/**
 * Where a slash command's answers go. `ephemeral` (Slack's default): a `message.ephemeral` user
 * event in the CALLER's own log — no conversation log holds it, nobody else receives it, and the
 * caller's devices get it like any user event (resume included). `in_channel`: a normal message
 * from the command's bot through core's send path (the bot joins a public channel it is not in;
 * where it cannot — a private channel or DM it is not in — the answer falls back to ephemeral).
 * `response_url` (responses.ts) lands here too.
 */
import { randomUUID } from "node:crypto";
import type { TDb } from "@parley/db";
import { UserEventKind } from "@parley/protocol";
import { z } from "zod";
import { loadAccess } from "../access.ts";
import { joinChannel } from "../conversations/members.ts";
import { sendMessage } from "../messages/send.ts";
import { appendUserEvent, inWriteTx } from "../tx.ts";
import { HookError, hookBody } from "./post.ts";

/** Who ran which command where: what an answer needs. */
export type TInvocation = {
  command: string;
  botId: string;
  conversationId: string;
  userId: string;
  threadRootId: string | null;
};

/** Slack's answer fields Parley reads (`replace_original`/`delete_original` have no meaning here). */
const ZAnswer = z.object({
  text: z.string().optional(),
  blocks: z.array(z.unknown()).optional(),
  mrkdwn: z.boolean().optional(),
  response_type: z.enum(["ephemeral", "in_channel"]).optional(),
});

/** Parses an answer body (JSON object); HookError `invalid_payload` / `no_text` when unusable. */
export function parseAnswer(raw: unknown): { body: string; isInChannel: boolean } {
  const parsed = ZAnswer.safeParse(raw);
  if (!parsed.success) throw new HookError("invalid_payload", 400);
  return { body: hookBody(parsed.data), isInChannel: parsed.data.response_type === "in_channel" };
}

/** Shows `body` to the caller only (a user event in their own log). */
export async function sendEphemeral(db: TDb, inv: TInvocation, body: string): Promise<void> {
  const bot = await db.user.findUnique({ where: { id: inv.botId }, select: { name: true } });
  await inWriteTx(db, (w) =>
    appendUserEvent(w, inv.userId, UserEventKind.EphemeralMessage, {
      conversationId: inv.conversationId,
      id: randomUUID(),
      senderId: inv.botId,
      ...(bot ? { senderName: bot.name } : {}),
      body,
      threadRootId: inv.threadRootId,
      command: inv.command,
    }),
  );
}

/** Posts `body` in the conversation as the command's bot; false when the bot cannot post there. */
async function sendInChannel(db: TDb, inv: TInvocation, body: string): Promise<boolean> {
  const bot = { userId: inv.botId, role: "member" as const };
  const access = await loadAccess(db, bot, inv.conversationId);
  if (access.archivedAt) return false;
  if (access.memberRole === null) {
    if (access.kind !== "public_channel") return false;
    await joinChannel(db, bot, { conversationId: inv.conversationId });
  }
  await sendMessage(db, bot, {
    conversationId: inv.conversationId,
    clientMsgId: randomUUID(),
    body,
    ...(inv.threadRootId ? { threadRootId: inv.threadRootId } : {}),
  });
  return true;
}

/** Delivers one parsed answer where its response_type says. */
export async function deliverAnswer(
  db: TDb,
  inv: TInvocation,
  answer: { body: string; isInChannel: boolean },
): Promise<void> {
  if (answer.isInChannel && (await sendInChannel(db, inv, answer.body))) return;
  await sendEphemeral(db, inv, answer.body);
}

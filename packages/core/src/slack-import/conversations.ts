/**
 * Conversations of an import, each remembered in SlackImportMapping (`conversation`, Slack id):
 * - mapped by an earlier import (and still there): that conversation, unchanged;
 * - a channel: created with its Slack members (the creator, when a member, as owner) through
 *   core's own member path (`addMembersLocked`: member.joined events, conversation.added user
 *   events), the importing admin as the one who added them. Its name is Slack's, made a valid
 *   Parley name (format.ts `channelNameFrom`); when a channel the import did not create already
 *   has that name, the import takes `<name>-slack`, then `<name>-slack-2`, … — never merging
 *   into someone's existing channel;
 * - a DM or group DM: the existing conversation of exactly those people when there is one (one set
 *   of people has one DM in Parley: the imported history is appended after what is there), else
 *   a new one, opened as `conversations.openDm` opens it.
 * A channel Slack lists as archived (`is_archived`) is archived once its history is in
 * (`archiveImported`, through core's own archive), and only once: the `archived` mapping row
 * remembers it, so a later import leaves the channel as admins have it then.
 */
import { dmKeyFor, isUniqueViolation } from "@parley/db";
import { UserEventKind } from "@parley/protocol";
import type { TActor } from "../actor.ts";
import { lockChannelForAdmin } from "../conversations/admin.ts";
import { setArchivedLocked } from "../conversations/channels.ts";
import { addMembersLocked } from "../conversations/members.ts";
import { appendUserEvents, type TWriter } from "../tx.ts";
import { channelNameCandidate, channelNameFrom, cleanLine } from "./format.ts";
import type { TPlannedConversation } from "./plan.ts";
import type { TImportedUser } from "./users.ts";

export type TImportedConversation = { id: string; label: string; isNew: boolean };

/** How many names to try before giving up on a channel (`-slack-49`). */
const NAME_ATTEMPTS = 50;

/** The mapped conversation, or null (a mapping whose conversation was deleted is forgotten). */
export async function mappedConversation(w: TWriter, slackId: string): Promise<string | null> {
  const [row] = await w.tx.$queryRaw<{ id: string | null }[]>`
    SELECT c.id FROM "SlackImportMapping" m LEFT JOIN "Conversation" c ON c.id = m."parleyId"
    WHERE m.kind = 'conversation' AND m."slackId" = ${slackId}`;
  if (!row) return null;
  if (row.id) return row.id;
  await w.tx
    .$executeRaw`DELETE FROM "SlackImportMapping" WHERE kind = 'conversation' AND "slackId" = ${slackId}`;
  await w.tx.$executeRaw`DELETE FROM "SlackImportMapping" WHERE kind = ${messageKind(slackId)}`;
  await w.tx.$executeRaw`DELETE FROM "SlackImportMapping" WHERE kind = 'archived' AND "slackId" = ${slackId}`;
  return null;
}

/** The mapping kind of a conversation's messages (their `slackId` is the message's ts). */
export function messageKind(slackConversationId: string): string {
  return `message:${slackConversationId}`;
}

async function remember(w: TWriter, slackId: string, id: string): Promise<void> {
  await w.tx.$executeRaw`
    INSERT INTO "SlackImportMapping" (kind, "slackId", "parleyId") VALUES ('conversation', ${slackId}, ${id}::uuid)`;
}

/** Creates (or finds) the conversation of `planned` inside the write `w` (see the file header). */
export async function ensureConversation(
  w: TWriter,
  admin: TActor,
  planned: TPlannedConversation,
  users: ReadonlyMap<string, TImportedUser>,
): Promise<TImportedConversation> {
  const { slack, kind } = planned;
  const existing = await mappedConversation(w, slack.id);
  const memberIds = [...new Set(slack.members.map((m) => users.get(m)?.id).filter((id) => id !== undefined))];
  if (kind === "dm" || kind === "group_dm") {
    const label = kind === "dm" ? `DM ${slack.id}` : `group DM ${slack.name ?? slack.id}`;
    if (existing) return { id: existing, label, isNew: false };
    const ids = memberIds.length > 0 ? memberIds.sort() : [admin.userId];
    const dmKey = dmKeyFor(ids);
    const found = await w.tx.conversation.findUnique({ where: { dmKey }, select: { id: true } });
    if (found) {
      await remember(w, slack.id, found.id);
      return { id: found.id, label, isNew: false };
    }
    const conversation = await w.tx.conversation.create({
      data: { kind: ids.length <= 2 ? "dm" : "group_dm", dmKey, createdById: ids[0] ?? admin.userId },
      select: { id: true, kind: true },
    });
    await w.tx.membership.createMany({
      data: ids.map((userId) => ({ conversationId: conversation.id, userId })),
    });
    await appendUserEvents(w, ids, UserEventKind.DmOpened, () => ({
      conversationId: conversation.id,
      kind: conversation.kind,
      userIds: ids,
    }));
    await remember(w, slack.id, conversation.id);
    return { id: conversation.id, label, isNew: true };
  }
  const base = channelNameFrom(slack.name ?? "", `channel-${slack.id.toLowerCase()}`);
  if (existing) return { id: existing, label: `#${base}`, isNew: false };
  const creator = slack.creator ? users.get(slack.creator)?.id : undefined;
  let name = base;
  for (let attempt = 0; ; attempt++) {
    if (attempt >= NAME_ATTEMPTS) throw new Error(`no free name for #${base}`);
    name = channelNameCandidate(base, attempt);
    const taken = await w.tx.conversation.findUnique({ where: { name }, select: { id: true } });
    if (!taken) break;
  }
  const conversation = await w.tx.conversation
    .create({
      data: {
        kind,
        name,
        topic: cleanLine(slack.topic?.value || slack.purpose?.value || "", 250),
        createdById: creator ?? admin.userId,
      },
      select: { id: true, kind: true },
    })
    .catch((err: unknown) => {
      // Someone took the name between the check and the insert: the run fails and is retried.
      if (isUniqueViolation(err)) throw new Error(`#${name} was taken while importing; retry`);
      throw err;
    });
  const names = new Map([...users.values()].map((u) => [u.id, u.name]));
  // The creator first, as createChannel orders it.
  const ordered = new Map<string, string>();
  if (creator && memberIds.includes(creator)) ordered.set(creator, names.get(creator) ?? "");
  for (const id of memberIds) ordered.set(id, names.get(id) ?? "");
  const roles = new Map(creator && ordered.has(creator) ? [[creator, "owner" as const]] : []);
  if (roles.size === 0 && ordered.size > 0) roles.set([...ordered.keys()][0] as string, "owner");
  await addMembersLocked(w, admin, conversation, ordered, roles);
  await remember(w, slack.id, conversation.id);
  return { id: conversation.id, label: `#${name}`, isNew: true };
}

/**
 * Archives the imported channel of Slack's `slackId` unless an import did so before (see the file
 * header); true when it did now. The same change as an admin's archive: the `conversation.updated`
 * event, the row and the audit entry (`channel.archived`, by the importing admin).
 */
export async function archiveImported(
  w: TWriter,
  admin: TActor,
  slackId: string,
  conversationId: string,
): Promise<boolean> {
  const [done] = await w.tx.$queryRaw<{ id: string }[]>`
    SELECT "parleyId" AS id FROM "SlackImportMapping" WHERE kind = 'archived' AND "slackId" = ${slackId}`;
  if (done) return false;
  const access = await lockChannelForAdmin(w.tx, admin, conversationId);
  await setArchivedLocked(w, admin, access, true);
  await w.tx.$executeRaw`
    INSERT INTO "SlackImportMapping" (kind, "slackId", "parleyId") VALUES ('archived', ${slackId}, ${conversationId}::uuid)`;
  return true;
}

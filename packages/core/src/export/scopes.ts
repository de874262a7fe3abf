/**
 * What each kind of export holds.
 *
 * Workspace export (the owner's): every user (no password hash, session, token or any other
 * secret), every channel — public ones in full, private ones by name and member count only — the
 * members of public channels, every message of public channels (deleted ones as tombstones with
 * an empty body, so threads stay whole) and their files. Private channels' messages and members,
 * DMs and group DMs are NOT exported: the owner sees private conversations in the admin console by
 * name and member count only, and the export keeps that line (Slack's and Mattermost's standard
 * exports draw it in the same place). Everyone can export their own messages, wherever they sent
 * them, with the per-user export. The one exception is the owner's explicit choice of a full
 * export in Slack's format (`includePrivate`, slack-format.ts), as Slack's "all channels and
 * conversations" export.
 *
 * User export (anyone, of themselves): their profile and preferences, the conversations they
 * sent messages in (DMs and group DMs with their current members' names), their live messages
 * (with the reactions on them) and the files attached to those.
 */
import type { TDb } from "@parley/db";
import { exportMessages, exportPages, type TExportContext } from "./content.ts";
import {
  allConversationCuts,
  countMessages,
  publicChannelCuts,
  readChannelBatch,
  readMembershipBatch,
  readUserBatch,
  senderConversationCuts,
  type TConversationCut,
} from "./rows.ts";

/** What a builder tells the manifest. */
export type TScopeSummary = { notes: string[]; extra: Record<string, unknown> };

/** The cuts and the progress bar's total, read at the start of a run. */
export type TScopePlan = { cuts: TConversationCut[]; totalMessages: number };

export const WORKSPACE_EXPORT_NOTES = [
  "Public channels: channel, members, every message (deleted ones as tombstones with an empty body) and its files.",
  "Private channels: listed by name and member count only; their messages and members are not exported.",
  "Direct messages and group DMs are not exported. Each person can export their own messages in Settings → Export.",
  "Users: profile fields only; no password hashes, sessions, tokens or other secrets.",
];

export const USER_EXPORT_NOTES = [
  "Your messages as they are now (not deleted ones), with the reactions on them and the files attached to them.",
  "Conversations: the ones you sent messages in; DMs and group DMs list their current members.",
];

/**
 * Plans a workspace export: every public channel up to its last seq now; with `includePrivate`
 * (Slack's format only, requests.ts) every private channel, DM and group DM too.
 */
export async function planWorkspace(
  db: TDb,
  options: { includePrivate?: boolean } = {},
): Promise<TScopePlan> {
  const cuts = options.includePrivate ? await allConversationCuts(db) : await publicChannelCuts(db);
  return { cuts, totalMessages: await countMessages(db, cuts) };
}

/** Plans a user export: the conversations they sent messages in, up to their last seq now. */
export async function planUser(db: TDb, userId: string): Promise<TScopePlan> {
  const cuts = await senderConversationCuts(db, userId);
  return { cuts, totalMessages: await countMessages(db, cuts, userId) };
}

/** Writes the workspace export's lines and files (see the file header). */
export async function buildWorkspace(
  ctx: TExportContext,
  plan: TScopePlan,
  onBatch: () => void,
): Promise<TScopeSummary> {
  const { db, cut, batching } = ctx;
  await exportPages(ctx, "users", (after: { id: string } | null) =>
    readUserBatch(db, after?.id ?? null, cut, batching.batchSize),
  );
  await exportPages(ctx, "channels", (after: { id: string } | null) =>
    readChannelBatch(db, after?.id ?? null, cut, batching.batchSize),
  );
  for (const channel of plan.cuts) {
    await exportPages(ctx, "memberships", (after: { userId: string } | null) =>
      readMembershipBatch(db, channel.id, after?.userId ?? null, cut, batching.batchSize),
    );
  }
  await exportMessages(ctx, plan.cuts, { onBatch });
  const [workspace] = await db.$queryRaw<{ name: string }[]>`SELECT name FROM "Workspace" LIMIT 1`;
  return { notes: WORKSPACE_EXPORT_NOTES, extra: { workspace: { name: workspace?.name ?? null } } };
}

type TProfile = {
  id: string;
  email: string;
  name: string;
  role: string;
  statusEmoji: string;
  statusText: string;
  sendReadReceipts: boolean;
  createdAt: Date;
};

type TUserConversation = {
  id: string;
  kind: string;
  name: string | null;
  topic: string;
  members: { id: string; name: string }[] | null;
};

/** Writes one user's export (see the file header). */
export async function buildUser(
  ctx: TExportContext,
  userId: string,
  plan: TScopePlan,
  onBatch: () => void,
): Promise<TScopeSummary> {
  const { db } = ctx;
  const [profile] = await db.$queryRaw<TProfile[]>`
    SELECT id, email, name, role::text AS role, "statusEmoji", "statusText", "sendReadReceipts", "createdAt"
    FROM "User" WHERE id = ${userId}::uuid`;
  if (!profile) throw new Error("the user of this export no longer exists");
  const notifications = await db.notificationSettings.findUnique({
    where: { userId },
    select: { level: true, keywords: true, timeZone: true, emailEnabled: true },
  });
  await ctx.archive.addBuffer(
    `${ctx.root}/profile.json`,
    Buffer.from(`${JSON.stringify({ ...profile, notifications }, null, 2)}\n`),
  );
  const ids = plan.cuts.map((c) => c.id);
  for (let i = 0; i < ids.length; i += ctx.batching.batchSize) {
    const page = ids.slice(i, i + ctx.batching.batchSize);
    const rows = await db.$queryRaw<TUserConversation[]>`
      SELECT c.id, c.kind::text AS kind, c.name, c.topic,
        CASE WHEN c.kind IN ('dm', 'group_dm') THEN (
          SELECT json_agg(json_build_object('id', u.id, 'name', u.name) ORDER BY u.name, u.id)
          FROM "Membership" mb JOIN "User" u ON u.id = mb."userId" WHERE mb."conversationId" = c.id
        ) END AS members
      FROM "Conversation" c WHERE c.id = ANY(${page}::uuid[]) ORDER BY c.id`;
    await ctx.parts.push(
      "conversations",
      rows.map(({ members, ...c }) => (members ? { ...c, members } : c)),
    );
  }
  await exportMessages(ctx, plan.cuts, { senderId: userId, onBatch });
  return { notes: USER_EXPORT_NOTES, extra: { user: { id: profile.id, email: profile.email } } };
}

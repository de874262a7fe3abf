/**
 * The admin console's channels (issue 13, "Channels"): every channel listed, converted between
 * public and private, and given a new owner — workspace admins and owners only, checked here
 * whatever the transport. Deletion takes the storage, so it is `delete.ts` (exported from
 * `@parley/core/files`).
 *
 * Privacy: admins manage private channels without being let into them. The list gives a private
 * channel's id, name, member count and archived flag only — no topic, owner, creator, dates or
 * anything from its log — and none of these actions makes the admin a member or returns content.
 * Those fields are never even selected for private rows (a `CASE` in the query).
 *
 * Owner: a channel's owner is its member with `Membership.role = owner` (the creator at first;
 * `Conversation.createdById` keeps who created it). Changing the owner makes the new one owner and
 * every previous owner a plain member, and appends `conversation.updated {ownerId}`.
 */
import type { TDb } from "@parley/db";
import { EventKind, zLine } from "@parley/protocol";
import { z } from "zod";
import {
  loadAccess,
  requireChannelManager,
  requireNotArchived,
  type TConversationAccess,
} from "../access.ts";
import { requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { ZId } from "../schemas.ts";
import { likeEscape } from "../search/search-sql.ts";
import { appendConversationEvent, inWriteTx, type TTx, type TWriter } from "../tx.ts";
import { setArchivedLocked } from "./channels.ts";
import { isGeneralChannel } from "./defaults.ts";
import { addMembersLocked, requireActiveUsers } from "./members.ts";

/** Rows per page of the admin list (the default and the most one page may ask for). */
export const ADMIN_CHANNELS_PAGE = 50;
const MAX_ADMIN_CHANNELS_PAGE = 100;

/** The admin list's filters: part of the name, kind, archived; keyset-paged by name (not strict: tRPC's
 * infinite queries add `direction`). */
export const ZListAdminChannels = z.object({
  query: zLine().trim().max(80).optional(),
  kind: z.enum(["all", "public", "private"]).default("all"),
  archived: z.enum(["all", "active", "archived"]).default("all"),
  /** The last name of the previous page (channel names are unique). */
  cursor: zLine().max(80).optional(),
  limit: z.number().int().min(1).max(MAX_ADMIN_CHANNELS_PAGE).default(ADMIN_CHANNELS_PAGE),
});
export type TListAdminChannels = z.input<typeof ZListAdminChannels>;

/** Convert a channel: `isPrivate` true → private, false → public. */
export const ZConvertChannel = z.strictObject({ conversationId: ZId, isPrivate: z.boolean() });

/** Archive (`archived: true`) or unarchive a channel. */
export const ZSetChannelArchived = z.strictObject({ conversationId: ZId, archived: z.boolean() });

/** Give a channel a new owner (an active user; for a private channel, one of its members). */
export const ZSetChannelOwner = z.strictObject({ conversationId: ZId, userId: ZId });

/** Who a public channel's owner or creator is. */
export type TAdminChannelPerson = { id: string; name: string };

/** Fields every row has. */
type TAdminChannelBase = { id: string; name: string; memberCount: number; isArchived: boolean };

/**
 * One channel in the admin list. Private channels carry their name, member count and archived
 * flag only; public ones also their topic, owner, creator and flags.
 */
export type TAdminChannelDto =
  | (TAdminChannelBase & { kind: "private_channel" })
  | (TAdminChannelBase & {
      kind: "public_channel";
      topic: string;
      owner: TAdminChannelPerson | null;
      createdBy: TAdminChannelPerson | null;
      isDefault: boolean;
      isGeneral: boolean;
      createdAt: Date;
    });

/** A page of the admin list; `nextCursor` asks for the next one (null: this was the last). */
export type TAdminChannelPage = { channels: TAdminChannelDto[]; nextCursor: string | null };

type Row = TAdminChannelBase & {
  kind: "public_channel" | "private_channel";
  topic: string | null;
  ownerId: string | null;
  ownerName: string | null;
  createdById: string | null;
  createdByName: string | null;
  isDefault: boolean | null;
  isGeneral: boolean | null;
  createdAt: Date | null;
};

function toDto(row: Row): TAdminChannelDto {
  const base = { id: row.id, name: row.name, memberCount: row.memberCount, isArchived: row.isArchived };
  if (row.kind === "private_channel") return { ...base, kind: "private_channel" };
  const person = (id: string | null, name: string | null) => (id && name !== null ? { id, name } : null);
  return {
    ...base,
    kind: "public_channel",
    topic: row.topic ?? "",
    owner: person(row.ownerId, row.ownerName),
    createdBy: person(row.createdById, row.createdByName),
    isDefault: row.isDefault ?? false,
    isGeneral: row.isGeneral ?? false,
    createdAt: row.createdAt ?? new Date(0),
  };
}

/**
 * The rows, newest state. Everything beyond name, count and archived flag is under
 * `CASE WHEN public`, so a private channel's topic, owner or creator never leaves the database.
 */
async function queryAdminChannels(
  tx: Pick<TTx, "$queryRawUnsafe">,
  where: string,
  params: unknown[],
  limit: number,
): Promise<TAdminChannelDto[]> {
  const rows = await tx.$queryRawUnsafe<Row[]>(
    `SELECT c.id, c.name, c.kind::text AS kind, c."archivedAt" IS NOT NULL AS "isArchived",
       (SELECT count(*)::int FROM "Membership" m WHERE m."conversationId" = c.id) AS "memberCount",
       CASE WHEN pub THEN c.topic END AS topic,
       CASE WHEN pub THEN o.id::text END AS "ownerId",
       CASE WHEN pub THEN o.name END AS "ownerName",
       CASE WHEN pub THEN cu.id::text END AS "createdById",
       CASE WHEN pub THEN cu.name END AS "createdByName",
       CASE WHEN pub THEN c."isDefault" END AS "isDefault",
       CASE WHEN pub THEN EXISTS (SELECT 1 FROM "Workspace" ws WHERE ws."generalChannelId" = c.id) END
         AS "isGeneral",
       CASE WHEN pub THEN c."createdAt" END AS "createdAt"
     FROM "Conversation" c
     CROSS JOIN LATERAL (SELECT c.kind = 'public_channel' AS pub) k
     LEFT JOIN LATERAL (
       SELECT u.id, u.name FROM "Membership" m JOIN "User" u ON u.id = m."userId"
       WHERE m."conversationId" = c.id AND m.role = 'owner' AND k.pub
       ORDER BY m."joinedAt" LIMIT 1
     ) o ON true
     LEFT JOIN "User" cu ON cu.id = c."createdById" AND k.pub
     WHERE c.kind IN ('public_channel', 'private_channel') AND ${where}
     ORDER BY c.name
     LIMIT ${limit}`,
    ...params,
  );
  return rows.map(toDto);
}

/**
 * Every channel, public and private, by name (admins): filtered by part of the name, kind and
 * archived state, `limit` per page. DMs are never listed.
 */
export async function listAdminChannels(db: TDb, actor: TActor, input: unknown): Promise<TAdminChannelPage> {
  requireAdmin(actor);
  const f = parseInput(ZListAdminChannels, input ?? {});
  const conditions = ["true"];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (f.query) conditions.push(`c.name ILIKE ${param(`%${likeEscape(f.query.toLowerCase())}%`)}`);
  if (f.kind !== "all") conditions.push(`c.kind = '${f.kind}_channel'`);
  if (f.archived === "active") conditions.push(`c."archivedAt" IS NULL`);
  if (f.archived === "archived") conditions.push(`c."archivedAt" IS NOT NULL`);
  if (f.cursor) conditions.push(`c.name > ${param(f.cursor)}`);
  const rows = await queryAdminChannels(db, conditions.join(" AND "), params, f.limit + 1);
  const channels = rows.slice(0, f.limit);
  return { channels, nextCursor: rows.length > f.limit ? (channels.at(-1)?.name ?? null) : null };
}

/** One channel as the admin list shows it (after a change). */
export async function getAdminChannel(
  tx: Pick<TTx, "$queryRawUnsafe">,
  id: string,
): Promise<TAdminChannelDto> {
  const [row] = await queryAdminChannels(tx, "c.id = $1::uuid", [id], 1);
  if (!row) throw new ParleyError("NOT_FOUND", "Conversation not found");
  return row;
}

/**
 * Locks a channel for an admin change: the conversation row lock, NOT_FOUND for DMs the admin is
 * not in and unknown ids, FORBIDDEN for other DMs (requireChannelManager, after requireAdmin).
 */
export async function lockChannelForAdmin(
  tx: TTx,
  actor: TActor,
  conversationId: string,
): Promise<TConversationAccess & { name: string }> {
  requireAdmin(actor);
  const access = await loadAccess(tx, actor, conversationId, { lock: true });
  requireChannelManager(actor, access);
  return { ...access, name: access.name ?? "" };
}

/**
 * One admin change to a channel: admins only, `input` parsed with `schema`, then `change` runs in a
 * write holding the channel's lock (`lockChannelForAdmin`); answers the channel's admin row after it.
 */
async function changeChannelAsAdmin<S extends z.ZodType<{ conversationId: string }>>(
  db: TDb,
  actor: TActor,
  schema: S,
  input: unknown,
  change: (w: TWriter, access: TConversationAccess & { name: string }, data: z.output<S>) => Promise<void>,
): Promise<TAdminChannelDto> {
  requireAdmin(actor);
  const data = parseInput(schema, input);
  return inWriteTx(db, async (w) => {
    const access = await lockChannelForAdmin(w.tx, actor, data.conversationId);
    await change(w, access, data);
    return getAdminChannel(w.tx, data.conversationId);
  });
}

/**
 * Archives or unarchives a channel from the admin console (admins): the same change, event and
 * audit entry as `conversations.archive`/`unarchive` (channels.ts `setArchivedLocked`), but it
 * answers the admin row — for a private channel its name, count and flag, not the conversation.
 */
export async function setChannelArchived(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TAdminChannelDto> {
  return changeChannelAsAdmin(db, actor, ZSetChannelArchived, input, (w, access, { archived }) =>
    setArchivedLocked(w, actor, access, archived, origin),
  );
}

/**
 * Converts a channel between public and private (admins). Public → private: only members can find,
 * read or search it from then on, and it stops being a default channel. Private → public: everyone
 * can. Both are read from `Conversation.kind` at each request (reads, search, sync), so nothing is
 * cached to invalidate; routing (small or large channel) targets members either way and does not
 * change. Appends `conversation.updated {kind}` so members' clients update live; refuses #general
 * (public for ever) and archived channels; converting to the kind it has changes nothing.
 * Audit-logged as channel.converted.
 */
export async function convertChannel(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TAdminChannelDto> {
  return changeChannelAsAdmin(
    db,
    actor,
    ZConvertChannel,
    input,
    async (w, access, { conversationId, isPrivate }) => {
      const to = isPrivate ? "private_channel" : "public_channel";
      if (access.kind === to) return;
      if (await isGeneralChannel(w.tx, conversationId)) {
        throw new ParleyError("FORBIDDEN", "#general is where everyone is: it stays public");
      }
      requireNotArchived(access);
      await appendConversationEvent(w, conversationId, EventKind.ConversationUpdated, actor.userId, {
        kind: to,
      });
      const { isDefault } = await w.tx.conversation.update({
        where: { id: conversationId },
        data: { kind: to, ...(isPrivate ? { isDefault: false } : {}) },
        select: { isDefault: true },
      });
      await recordAudit(w.tx, {
        action: "channel.converted",
        actorId: actor.userId,
        target: { type: "channel", id: conversationId },
        origin,
        details: { from: access.kind, to, isDefault },
      });
    },
  );
}

/**
 * Makes `userId` the channel's owner (admins); every previous owner becomes a plain member. A
 * public channel's new owner joins it if they were not a member; a private channel's must already
 * be one (BAD_REQUEST otherwise: an admin cannot let anyone — themselves included — into a private
 * channel this way). The user must be active. Refused for archived channels. Appends
 * `conversation.updated {ownerId}`; audit-logged as channel.owner_changed. Already the only owner:
 * nothing changes.
 */
export async function setChannelOwner(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TAdminChannelDto> {
  return changeChannelAsAdmin(
    db,
    actor,
    ZSetChannelOwner,
    input,
    async (w, access, { conversationId, userId }) => {
      requireNotArchived(access);
      const user = await requireActiveUsers(w.tx, [userId]);
      // A guest manages nothing (they cannot add people or browse channels): never an owner.
      const target = await w.tx.user.findUnique({ where: { id: userId }, select: { role: true } });
      if (target?.role === "guest") throw new ParleyError("BAD_REQUEST", "A guest cannot own a channel");
      const owners = await w.tx.membership.findMany({
        where: { conversationId, role: "owner" },
        select: { userId: true },
      });
      const previous = owners.map((o) => o.userId);
      if (previous.length === 1 && previous[0] === userId) return;
      const membership = await w.tx.membership.findUnique({
        where: { conversationId_userId: { conversationId, userId } },
        select: { role: true },
      });
      if (!membership) {
        if (access.kind === "private_channel") {
          throw new ParleyError(
            "BAD_REQUEST",
            "Only a member can own a private channel: ask one of its members to add them first",
          );
        }
        await addMembersLocked(w, actor, access, user, new Map([[userId, "owner"]]));
      }
      await w.tx.membership.updateMany({
        where: { conversationId, role: "owner", userId: { not: userId } },
        data: { role: "member" },
      });
      if (membership) {
        await w.tx.membership.update({
          where: { conversationId_userId: { conversationId, userId } },
          data: { role: "owner" },
        });
      }
      await appendConversationEvent(w, conversationId, EventKind.ConversationUpdated, actor.userId, {
        ownerId: userId,
      });
      await recordAudit(w.tx, {
        action: "channel.owner_changed",
        actorId: actor.userId,
        target: { type: "channel", id: conversationId },
        origin,
        details: {
          kind: access.kind,
          ownerId: userId,
          joined: !membership,
          // A private channel's members are not the admin's to read: who owned it before stays out.
          ...(access.kind === "public_channel" ? { previousOwnerIds: previous } : {}),
        },
      });
    },
  );
}

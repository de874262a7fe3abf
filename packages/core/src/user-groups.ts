/**
 * User groups (Slack's): a `@handle` that mentions every member of the group. Admins create,
 * change and delete them (audit-logged); everyone signed in lists them, for the composer's
 * autocomplete and pills. A message carries a group as `<!subteam^id>` (@parley/protocol
 * mentions.ts); sending and editing resolve it to the group's members who are members of the
 * conversation in the same statement that stores the message (mentions.ts), so they count as
 * mentioned for unread-mention counts, search's `mentions:` and notifications like anyone
 * mentioned by name. Membership is read when a message is sent or edited: joining a group later
 * does not mention someone in older messages (as for `<@id>` mentions of non-members).
 */
import { isUniqueViolation, Prisma, type TDb } from "@parley/db";
import { BROADCAST_MENTIONS, zLine, zText } from "@parley/protocol";
import { z } from "zod";
import { requireAdmin, type TActor } from "./actor.ts";
import { recordAudit, type TAuditOrigin } from "./audit/record.ts";
import { errorTemplate, ParleyError, parseInput } from "./errors.ts";
import { canSeePersonSql } from "./guests.ts";
import { ZId } from "./schemas.ts";
import { inWriteTx, type TTx } from "./tx.ts";

/** Most members one group may have (a mention of it stores at most this many ids). */
export const MAX_GROUP_MEMBERS = 1000;

/**
 * A group's handle: trimmed, lower-cased, a leading `@` dropped, then a letter or digit and up to
 * 79 letters, digits, `.`, `-` or `_`; never `channel`, `here` or `everyone`.
 */
export const ZGroupHandle = zText()
  .trim()
  .toLowerCase()
  .transform((s) => (s.startsWith("@") ? s.slice(1) : s))
  .pipe(
    z
      .string()
      .min(1, errorTemplate("handle is required"))
      .max(80, errorTemplate("handle is at most 80 characters"))
      .regex(
        /^[a-z0-9][a-z0-9._-]*$/,
        errorTemplate(
          "handles use only lower-case letters, digits, ., - and _, and start with a letter or digit",
        ),
      )
      .refine((h) => !(BROADCAST_MENTIONS as readonly string[]).includes(h), {
        message: errorTemplate("@channel, @here and @everyone are taken"),
      }),
  );

const ZGroupName = zLine()
  .trim()
  .min(1, errorTemplate("name is required"))
  .max(80, errorTemplate("name is at most 80 characters"));
const ZGroupDescription = zLine().trim().max(250, errorTemplate("description is at most 250 characters"));
const ZMemberIds = z
  .array(ZId)
  .max(MAX_GROUP_MEMBERS, `a group has at most ${MAX_GROUP_MEMBERS} members`)
  .transform((ids) => [...new Set(ids.map((id) => id.toLowerCase()))]);

export const ZCreateUserGroup = z.object({
  handle: ZGroupHandle,
  name: ZGroupName,
  description: ZGroupDescription.default(""),
  memberIds: ZMemberIds.default([]),
});
export type TCreateUserGroup = z.output<typeof ZCreateUserGroup>;

/** Only the fields given change; `memberIds` replaces the whole member list. */
export const ZUpdateUserGroup = z.object({
  groupId: ZId,
  handle: ZGroupHandle.optional(),
  name: ZGroupName.optional(),
  description: ZGroupDescription.optional(),
  memberIds: ZMemberIds.optional(),
});
export type TUpdateUserGroup = z.output<typeof ZUpdateUserGroup>;

export const ZUserGroupRef = z.object({ groupId: ZId });

/** A group as lists show it. For a guest, `memberIds` holds only people the guest may see. */
export type TUserGroupDto = {
  id: string;
  handle: string;
  name: string;
  description: string;
  memberIds: string[];
  memberCount: number;
  createdAt: Date;
};

/** Every user group, by handle (anyone signed in). */
export async function listUserGroups(db: TDb, actor: TActor): Promise<TUserGroupDto[]> {
  return db.$queryRaw<TUserGroupDto[]>`
    WITH viewer AS (SELECT ${actor.userId}::uuid AS id)
    SELECT g.id::text AS id, g.handle, g.name, g.description, g."createdAt",
      ARRAY(
        SELECT gm."userId"::text FROM "UserGroupMember" gm
        WHERE gm."groupId" = g.id
          AND ${Prisma.raw(canSeePersonSql("(SELECT v.id FROM viewer v)", 'gm."userId"'))}
        ORDER BY gm."userId"
      ) AS "memberIds",
      (SELECT count(*)::int FROM "UserGroupMember" gm WHERE gm."groupId" = g.id) AS "memberCount"
    FROM "UserGroup" g
    ORDER BY g.handle`;
}

/** Throws BAD_REQUEST unless every id is an active user. */
async function requireActiveUsers(tx: Pick<TDb, "$queryRaw">, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const [row] = await tx.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "User" WHERE id = ANY(${[...ids]}::uuid[]) AND "deactivatedAt" IS NULL`;
  if ((row?.n ?? 0) !== ids.length) {
    throw new ParleyError("BAD_REQUEST", "Some members are not active people of this workspace");
  }
}

function handleTaken(handle: string): ParleyError {
  return new ParleyError("CONFLICT", "The handle @{handle} is already taken", { params: { handle } });
}

async function groupDto(tx: Pick<TTx, "userGroup">, id: string): Promise<TUserGroupDto> {
  const group = await tx.userGroup.findUnique({
    where: { id },
    select: {
      id: true,
      handle: true,
      name: true,
      description: true,
      createdAt: true,
      members: { select: { userId: true }, orderBy: { userId: "asc" } },
    },
  });
  if (!group) throw new ParleyError("NOT_FOUND", "User group not found");
  const { members, ...rest } = group;
  return { ...rest, memberIds: members.map((m) => m.userId), memberCount: members.length };
}

/** Creates a group (admins; audit `user_group.created`). CONFLICT when the handle is taken. */
export async function createUserGroup(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TUserGroupDto> {
  requireAdmin(actor);
  const data = parseInput(ZCreateUserGroup, input);
  try {
    return await inWriteTx(db, async (w) => {
      await requireActiveUsers(w.tx, data.memberIds);
      const group = await w.tx.userGroup.create({
        data: {
          handle: data.handle,
          name: data.name,
          description: data.description,
          createdById: actor.userId,
          members: { create: data.memberIds.map((userId) => ({ userId })) },
        },
        select: { id: true },
      });
      await recordAudit(w.tx, {
        action: "user_group.created",
        actorId: actor.userId,
        target: { type: "user_group", id: group.id, label: `@${data.handle}` },
        origin,
        details: { handle: data.handle, name: data.name, memberCount: data.memberIds.length },
      });
      return groupDto(w.tx, group.id);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw handleTaken(data.handle);
    throw err;
  }
}

/** Changes a group's handle, name, description or members (admins; audit `user_group.updated`). */
export async function updateUserGroup(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TUserGroupDto> {
  requireAdmin(actor);
  const { groupId, memberIds, ...fields } = parseInput(ZUpdateUserGroup, input);
  try {
    return await inWriteTx(db, async (w) => {
      const [before] = await w.tx.$queryRaw<{ handle: string; name: string; description: string }[]>`
        SELECT handle, name, description FROM "UserGroup" WHERE id = ${groupId}::uuid FOR UPDATE`;
      if (!before) throw new ParleyError("NOT_FOUND", "User group not found");
      const changed: Record<string, { before: string; after: string }> = {};
      for (const key of ["handle", "name", "description"] as const) {
        const after = fields[key];
        if (after !== undefined && after !== before[key]) changed[key] = { before: before[key], after };
      }
      let added: string[] = [];
      let removed: string[] = [];
      if (memberIds) {
        await requireActiveUsers(w.tx, memberIds);
        const now = (
          await w.tx.userGroupMember.findMany({ where: { groupId }, select: { userId: true } })
        ).map((m) => m.userId);
        added = memberIds.filter((id) => !now.includes(id));
        removed = now.filter((id) => !memberIds.includes(id));
        if (removed.length)
          await w.tx.userGroupMember.deleteMany({ where: { groupId, userId: { in: removed } } });
        if (added.length)
          await w.tx.userGroupMember.createMany({ data: added.map((userId) => ({ groupId, userId })) });
      }
      if (Object.keys(changed).length === 0 && added.length === 0 && removed.length === 0) {
        return groupDto(w.tx, groupId); // nothing changed: nothing written
      }
      await w.tx.userGroup.update({
        where: { id: groupId },
        data: Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, v.after])),
      });
      await recordAudit(w.tx, {
        action: "user_group.updated",
        actorId: actor.userId,
        target: { type: "user_group", id: groupId, label: `@${changed.handle?.after ?? before.handle}` },
        origin,
        details: {
          ...Object.fromEntries(Object.entries(changed)),
          ...(added.length ? { membersAdded: added } : {}),
          ...(removed.length ? { membersRemoved: removed } : {}),
        },
      });
      return groupDto(w.tx, groupId);
    });
  } catch (err) {
    if (isUniqueViolation(err) && fields.handle) throw handleTaken(fields.handle);
    throw err;
  }
}

/**
 * Deletes a group (admins; audit `user_group.deleted`). Messages keep their `<!subteam^id>`
 * tokens (shown as an unknown group) and the mentions they stored.
 */
export async function deleteUserGroup(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<{ groupId: string }> {
  requireAdmin(actor);
  const { groupId } = parseInput(ZUserGroupRef, input);
  return inWriteTx(db, async (w) => {
    const [gone] = await w.tx.$queryRaw<{ handle: string; memberCount: number }[]>`
      WITH g AS (DELETE FROM "UserGroup" WHERE id = ${groupId}::uuid RETURNING id, handle)
      SELECT g.handle, (SELECT count(*)::int FROM "UserGroupMember" gm WHERE gm."groupId" = g.id) AS "memberCount"
      FROM g`;
    if (!gone) throw new ParleyError("NOT_FOUND", "User group not found");
    await recordAudit(w.tx, {
      action: "user_group.deleted",
      actorId: actor.userId,
      target: { type: "user_group", id: groupId, label: `@${gone.handle}` },
      origin,
      details: { handle: gone.handle, memberCount: gone.memberCount },
    });
    return { groupId };
  });
}

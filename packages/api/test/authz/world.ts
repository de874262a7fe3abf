/**
 * The seeded workspace the authorization matrix runs against (authz-matrix.integration.test.ts):
 * one user per actor kind, a private channel they stand in different relations to, and helpers
 * that make a fresh copy of that channel (or a fresh message, user, session…) for the rows whose
 * allowed calls would otherwise change what the next actor sees. Custom emoji and avatars are real
 * objects in the test's storage (a tiny PNG made with sharp).
 */
import { randomUUID } from "node:crypto";
import {
  addMembers,
  createBot,
  createBotToken,
  createChannel,
  indexSearchUntilCaughtUp,
  removeMember,
  sendMessage,
} from "@parley/core";
import { avatarUploadKey } from "@parley/core/avatars";
import type { TDb } from "@parley/db";
import { seedUser } from "@parley/db/seed";
import { EventKind } from "@parley/protocol";
import type { TStorage } from "@parley/storage";
import sharp from "sharp";

/** Who calls: workspace roles, relations to the target conversation, and no valid identity. */
export const ACTOR_KINDS = [
  /** The workspace owner; owner (creator) of the target private channel. */
  "owner",
  /** A workspace admin who is NOT in the target channel (admins manage channels they are not in). */
  "admin",
  /** A workspace member who is in the target channel. */
  "member",
  /** A workspace guest who is in the target channel (and in no other channel). */
  "guest",
  /** A workspace member never in the target channel. */
  "nonMember",
  /** A workspace member who was in the target channel and was removed from it. */
  "removed",
  /** A user who was in the target channel and was deactivated; their session still exists. */
  "deactivated",
  /** No session at all. */
  "anonymous",
  /**
   * A bot in the target channel calling with its bot token (`Authorization: Bearer pbt_…`), scoped
   * to the target and the open channel, read and write.
   */
  "bot",
] as const;
export type TActorKind = (typeof ACTOR_KINDS)[number];

/** A user acting in the matrix: their id and a live browser session. */
export type TActorUser = { id: string; sessionId: string };

/** A channel as the matrix targets it. */
export type TChannel = { id: string; name: string };

/** A message with its conversation. */
export type TMessageRef = { id: string; conversationId: string };

export type TWorld = {
  db: TDb;
  /** Every actor kind but `anonymous` and `bot`. */
  users: Record<Exclude<TActorKind, "anonymous" | "bot">, TActorUser>;
  /** The bot: its user id and a live, scoped bot token. */
  bot: { id: string; token: string };
  /** A workspace member in every fixture channel, never an actor (the one others add or remove). */
  spareId: string;
  /** The target: a private channel with owner, member, guest, deactivated (and removed, removed). */
  target: TChannel;
  /** A public channel with the owner in it only (the guest is not, nor is anyone else). */
  openChannel: TChannel;
  /** A message of the member's in the target (reacted to, pinned, read by the rows that need one). */
  message: TMessageRef;
  /** A ready attachment on that message. */
  attachmentId: string;
  /** A pending upload of the member's to the target. */
  pendingUploadId: string;
  /** A copy of the target with the same members (removed user removed again), for rows that change it. */
  freshChannel(): Promise<TChannel>;
  /** A new message of `kind`'s in the target. */
  freshMessage(kind: "member" | "owner"): Promise<TMessageRef>;
  /** A new workspace member (deactivated when asked) for rows that act on a person. */
  freshUser(opts?: { deactivated?: boolean }): Promise<string>;
  /** A new session of `userId`'s (sessions.revoke). */
  freshSession(userId: string): Promise<string>;
  /** A new personal access token of `userId`'s (tokens.revoke). */
  freshToken(userId: string): Promise<string>;
  /** A new token of the bot's (bots.revokeToken). */
  freshBotToken(): Promise<string>;
  /** A new incoming webhook of the bot's in the open channel (hooks.revoke). */
  freshHook(): Promise<string>;
  /** A new slash command answered by the bot (commands.delete). */
  freshCommand(): Promise<string>;
  /** A new invite made by the member (invites.revoke). */
  freshInvite(): Promise<string>;
  /** An 8×8 PNG: a valid custom emoji or avatar image. */
  png: Buffer;
  /** A custom emoji of the owner's. */
  emojiId: string;
  /** A new custom emoji of `kind`'s (emoji.delete); its name. */
  freshEmoji(kind: "member" | "owner"): Promise<string>;
  /** The current avatar of the spare (who shares the target with the guest). */
  spareAvatarId: string;
  /** A member in no channel (a stranger to the guest), with an avatar. */
  stranger: { id: string; avatarId: string };
  /** A new user group (userGroups.update, userGroups.delete). */
  freshGroup(): Promise<string>;
  /** Puts `png` where `userId`'s avatar upload goes (profile.completeAvatarUpload). */
  putAvatarUpload(userId: string): Promise<void>;
};

/** The handle of the seeded user group: the member and the stranger (userGroups.list). */
export const SEEDED_GROUP = "authz-seeded";

/** The topic of the target and its copies: only their members may read it. */
export const SECRET_TOPIC = "the secret plans";

const short = () => randomUUID().slice(0, 8);

/** Seeds the actors and fixtures once (a few hundred ms). */
export async function seedWorld(db: TDb, storage: TStorage): Promise<TWorld> {
  const [owner, admin, member, guest, nonMember, removed, deactivated, spare] = await Promise.all([
    seedUser(db, { role: "owner", name: "Owner" }),
    seedUser(db, { role: "admin", name: "Admin" }),
    seedUser(db, { name: "Member" }),
    seedUser(db, { role: "guest", name: "Guest" }),
    seedUser(db, { name: "NonMember" }),
    seedUser(db, { name: "Removed" }),
    seedUser(db, { name: "Deactivated" }),
    seedUser(db, { name: "Spare" }),
  ]);
  const session = async (userId: string) =>
    (await db.authSession.create({ data: { userId, expiresAt: new Date(Date.now() + 3_600_000) } })).id;
  const asOwner = { userId: owner.id, role: owner.role };

  /** The target as core makes it: created, the removed user removed (a membership event), the deactivated one in it. */
  const makeTarget = async (): Promise<TChannel> => {
    const name = `target-${short()}`;
    const channel = await createChannel(db, asOwner, {
      name,
      isPrivate: true,
      topic: SECRET_TOPIC,
      memberIds: [member.id, guest.id, removed.id, deactivated.id, spare.id],
    });
    await removeMember(db, asOwner, { conversationId: channel.id, userId: removed.id });
    return { id: channel.id, name };
  };
  /**
   * A copy of the target in one insert: the conversation, its memberships and its one event (the
   * removed user's removal).
   */
  const freshChannel = async (): Promise<TChannel> => {
    const name = `target-${short()}`;
    const channel = await db.conversation.create({
      data: {
        kind: "private_channel",
        name,
        topic: SECRET_TOPIC,
        createdById: owner.id,
        // Its log: the removed user's removal, as on the target.
        lastSeq: 1,
        events: {
          create: {
            seq: 1,
            kind: EventKind.MemberLeft,
            actorId: owner.id,
            payload: { userId: removed.id, removedBy: owner.id },
          },
        },
        memberships: {
          create: [
            { userId: owner.id, role: "owner" },
            ...[member.id, guest.id, deactivated.id, spare.id].map((userId) => ({ userId })),
          ],
        },
      },
      select: { id: true },
    });
    return { id: channel.id, name };
  };

  const target = await makeTarget();
  await db.user.update({ where: { id: deactivated.id }, data: { deactivatedAt: new Date() } });
  const openName = `open-${short()}`;
  const open = await createChannel(db, asOwner, { name: openName });

  const freshMessage = async (kind: "member" | "owner"): Promise<TMessageRef> => {
    const sender = kind === "member" ? member : owner;
    const { message } = await sendMessage(
      db,
      { userId: sender.id, role: sender.role },
      { conversationId: target.id, clientMsgId: randomUUID(), body: `hello from ${kind}` },
    );
    return { id: message.id, conversationId: target.id };
  };
  const message = await freshMessage("member");
  // A link preview with an image (messages.previewImageUrl only signs a URL: no object needed).
  await db.message.update({
    where: { id: message.id },
    data: { linkPreview: { url: "https://example.com/", title: "Example", image: { width: 8, height: 8 } } },
  });
  // Searchable now (the web server's indexer does this in the background).
  await indexSearchUntilCaughtUp(db);
  const attachment = await db.attachment.create({
    data: {
      uploaderId: member.id,
      conversationId: target.id,
      messageId: message.id,
      objectKey: `att/${target.id}/${randomUUID()}/a.png`,
      name: "a.png",
      mime: "image/png",
      size: 3n,
      status: "ready",
    },
  });
  const pending = await db.attachment.create({
    data: {
      uploaderId: member.id,
      conversationId: target.id,
      objectKey: `att/${target.id}/${randomUUID()}/b.txt`,
      name: "b.txt",
      mime: "text/plain",
      size: 3n,
    },
  });

  const png = await sharp({
    create: { width: 8, height: 8, channels: 4, background: { r: 200, g: 40, b: 90, alpha: 1 } },
  })
    .png()
    .toBuffer();
  const webp = await sharp(png).webp().toBuffer();
  const freshEmoji = async (kind: "member" | "owner") => {
    const id = randomUUID();
    const objectKey = `emoji/${id}.webp`;
    await storage.putObject(objectKey, webp, { contentType: "image/webp", size: webp.length });
    const name = `authz_${short()}`;
    await db.customEmoji.create({
      data: { id, name, objectKey, mime: "image/webp", createdById: (kind === "member" ? member : owner).id },
    });
    return name;
  };
  const emojiName = await freshEmoji("owner");
  const emoji = await db.customEmoji.findUniqueOrThrow({ where: { name: emojiName } });
  /** An avatar id set on the user (its thumbnails are not needed: a URL is only signed). */
  const withAvatar = async (userId: string) => {
    const avatarId = randomUUID();
    await db.user.update({ where: { id: userId }, data: { avatarId } });
    return avatarId;
  };
  const stranger = await seedUser(db, { name: "Stranger" });
  const freshGroup = async (memberIds: string[] = [], handle = `g-${short()}`) => {
    const group = await db.userGroup.create({
      data: {
        handle,
        name: "Group",
        createdById: owner.id,
        members: { create: memberIds.map((userId) => ({ userId })) },
      },
    });
    return group.id;
  };
  await freshGroup([member.id, stranger.id], SEEDED_GROUP);

  const users = {
    owner: { id: owner.id, sessionId: await session(owner.id) },
    admin: { id: admin.id, sessionId: await session(admin.id) },
    member: { id: member.id, sessionId: await session(member.id) },
    guest: { id: guest.id, sessionId: await session(guest.id) },
    nonMember: { id: nonMember.id, sessionId: await session(nonMember.id) },
    removed: { id: removed.id, sessionId: await session(removed.id) },
    deactivated: { id: deactivated.id, sessionId: await session(deactivated.id) },
  };

  const botUser = await createBot(db, asOwner, { name: "Authz Bot" });
  await addMembers(db, asOwner, { conversationId: target.id, userIds: [botUser.id] });
  const botToken = await createBotToken(db, asOwner, {
    botId: botUser.id,
    name: "matrix",
    channelIds: [target.id, open.id],
    canRead: true,
    canWrite: true,
  });

  return {
    db,
    users,
    bot: { id: botUser.id, token: botToken.token },
    spareId: spare.id,
    target,
    openChannel: { id: open.id, name: openName },
    message,
    attachmentId: attachment.id,
    pendingUploadId: pending.id,
    freshChannel,
    freshMessage,
    async freshUser(opts = {}) {
      const user = await seedUser(db);
      if (opts.deactivated) {
        await db.user.update({ where: { id: user.id }, data: { deactivatedAt: new Date() } });
      }
      return user.id;
    },
    freshSession: session,
    async freshToken(userId) {
      const token = await db.personalAccessToken.create({
        data: { userId, name: `t-${short()}`, tokenHash: randomUUID(), prefix: "plt_x" },
      });
      return token.id;
    },
    async freshBotToken() {
      const token = await db.botToken.create({
        data: {
          botId: botUser.id,
          name: `b-${short()}`,
          tokenHash: randomUUID(),
          prefix: "pbt_x",
          channelIds: [open.id],
          canRead: true,
          canWrite: false,
        },
      });
      return token.id;
    },
    async freshHook() {
      const hook = await db.incomingWebhook.create({
        data: { name: `h-${short()}`, conversationId: open.id, botId: botUser.id, secretHash: randomUUID() },
      });
      return hook.id;
    },
    async freshCommand() {
      const command = await db.slashCommand.create({
        data: {
          command: `c${short()
            .toLowerCase()
            .replace(/[^a-z0-9]/g, "")}`.slice(0, 30),
          callbackUrl: "https://example.com/commands",
          signingSecret: randomUUID(),
          botId: botUser.id,
        },
      });
      return command.id;
    },
    async freshInvite() {
      const invite = await db.invite.create({
        data: {
          tokenHash: randomUUID(),
          createdById: member.id,
          maxUses: 1,
          expiresAt: new Date(Date.now() + 86_400_000),
        },
      });
      return invite.id;
    },
    png,
    emojiId: emoji.id,
    freshEmoji,
    spareAvatarId: await withAvatar(spare.id),
    stranger: { id: stranger.id, avatarId: await withAvatar(stranger.id) },
    freshGroup: () => freshGroup(),
    async putAvatarUpload(userId) {
      await storage.putObject(avatarUploadKey(userId), png, { contentType: "image/png", size: png.length });
    },
  };
}

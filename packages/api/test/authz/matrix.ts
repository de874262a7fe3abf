/**
 * THE AUTHORIZATION MATRIX: who may call which tRPC procedure, one row per procedure (a few have
 * two, for a second target). Read it as documentation; authz-matrix.integration.test.ts proves it
 * against the real router and Postgres, and fails for any procedure of `appRouter` without a row.
 *
 * Actors (world.ts): `owner` (workspace owner, owner of the target private channel), `admin`
 * (workspace admin, NOT in the target), `member` and `guest` (in the target), `nonMember` (a
 * member never in it), `removed` (removed from it), `deactivated` (was in it; their session still
 * exists), `anonymous` (no session), `bot` (a bot in the target calling with its scoped bot token,
 * which tRPC does not accept: it is answered like `anonymous`; bots use the Slack-compatible API,
 * whose scope checks slack-web-api.integration.test.ts covers).
 *
 * Outcomes: `allowed` (the call succeeds), or the tRPC error code it answers. `NOT_FOUND` is the
 * "as unknown" answer: the same code and text an id that does not exist gets, so it reveals
 * nothing (SECURITY.md). A refused call must write nothing: the test compares every table before
 * and after it.
 *
 * Inputs are minimal valid ones; a row whose allowed call changes the target uses a fresh copy
 * (`w.freshChannel()`, `w.freshMessage()`, …) so that the next actor meets the same world.
 */
import { randomUUID } from "node:crypto";
import { EXPORT_ROWS } from "./matrix-exports.ts";
import { LATER_ROWS } from "./matrix-later.ts";
import { PEOPLE_ROWS } from "./matrix-people.ts";
import { SLACK_IMPORT_ROWS } from "./matrix-slack-import.ts";
import {
  ADMINS,
  ANYONE,
  CHANNEL_MANAGERS,
  everyone,
  F,
  N,
  ok,
  SIGNED_IN,
  self,
  TARGET_MEMBERS,
  type TMatrixRow,
} from "./outcomes.ts";
import { SECRET_TOPIC, type TActorKind, type TWorld } from "./world.ts";

export type { TExpectations, TMatrixRow, TOutcome } from "./outcomes.ts";

const target = (w: TWorld) => ({ conversationId: w.target.id });
const fresh = async (w: TWorld) => ({ conversationId: (await w.freshChannel()).id });
/**
 * A channel manager's answer: the whole channel for its members; an admin not in the private
 * channel sees its name and flags only (no topic, no position in its log).
 */
const managerView = (result: unknown, actor: TActorKind) => {
  const { topic, lastSeq } = result as { topic: string; lastSeq: number };
  return actor === "admin" ? topic === "" && lastSeq === 0 : topic === SECRET_TOPIC && lastSeq > 0;
};
// Strong, yet short: every call checks its strength (zxcvbn) and hashes it, even when refused.
const password = "Qv7#mX2!pL";

export const MATRIX: TMatrixRow[] = [
  // workspace
  { procedure: "workspace.status", expect: ANYONE },
  {
    procedure: "workspace.setup",
    input: () => ({ workspaceName: "X", name: "X", email: `x-${randomUUID()}@parley.test`, password }),
    // Done once, by the first owner; afterwards refused alike for everyone.
    expect: everyone("CONFLICT"),
  },
  { procedure: "workspace.update", input: () => ({ name: "Authz" }), expect: ADMINS },
  { procedure: "workspace.uploadLimits", expect: ADMINS },
  { procedure: "workspace.setUploadLimits", input: () => ({ maxUploadBytes: null }), expect: ADMINS },
  { procedure: "workspace.broadcastPolicy", expect: SIGNED_IN },
  { procedure: "workspace.linkPreviews", expect: SIGNED_IN },
  // On stays on (the default every other test relies on).
  { procedure: "workspace.setLinkPreviews", input: () => ({ enabled: true }), expect: ADMINS },
  {
    procedure: "workspace.setBroadcastPolicy",
    input: () => ({ policy: "everyone", threshold: 0 }),
    expect: ADMINS,
  },
  { procedure: "workspace.signupPolicy", expect: ADMINS },
  { procedure: "workspace.setSignupPolicy", input: () => ({ mode: "invite_only" }), expect: ADMINS },
  { procedure: "workspace.ssoSettings", expect: ADMINS },
  // Off: turning it on needs OIDC configured (the matrix's server has none) and would lock others out.
  { procedure: "workspace.setSsoOnly", input: () => ({ ssoOnly: false }), expect: ADMINS },
  { procedure: "workspace.messageWindows", expect: SIGNED_IN },
  {
    procedure: "workspace.setMessageWindows",
    input: () => ({ editWindowSeconds: null, deleteWindowSeconds: null }),
    expect: ADMINS,
  },

  // auth (invite-only workspace: an uninvited sign-up is refused for everyone)
  {
    procedure: "auth.signUp",
    input: () => ({ name: "New", email: `new-${randomUUID()}@parley.test`, password }),
    expect: everyone(F),
  },
  {
    procedure: "auth.resetPassword",
    input: () => ({ token: "no-such-token", password }),
    expect: everyone(F),
  },
  { procedure: "auth.createInvite", input: () => ({}), expect: { ...SIGNED_IN, guest: F } },

  // audit
  { procedure: "audit.list", input: () => ({}), expect: ADMINS },
  { procedure: "audit.actions", expect: ADMINS },
  { procedure: "audit.retention", expect: ADMINS },

  // sessions and tokens: only one's own
  { procedure: "sessions.list", expect: SIGNED_IN },
  {
    procedure: "sessions.revoke",
    input: async (w, actor) => ({ id: await w.freshSession(self(w, actor)) }),
    expect: SIGNED_IN,
  },
  {
    procedure: "sessions.revoke",
    case: "someone else's session",
    input: async (w) => ({ id: await w.freshSession(w.spareId) }),
    expect: { ...SIGNED_IN, owner: N, admin: N, member: N, guest: N, nonMember: N, removed: N },
  },
  { procedure: "sessions.revokeOthers", expect: SIGNED_IN },
  { procedure: "tokens.list", expect: SIGNED_IN },
  { procedure: "tokens.create", input: () => ({ name: "matrix" }), expect: SIGNED_IN },
  {
    procedure: "tokens.revoke",
    input: async (w, actor) => ({ id: await w.freshToken(self(w, actor)) }),
    expect: SIGNED_IN,
  },

  // bots (admins; the bot's own token is no tRPC credential: signed out like anyone without one)
  { procedure: "bots.list", expect: ADMINS },
  { procedure: "bots.create", input: () => ({ name: "Matrix Bot" }), expect: ADMINS },
  {
    procedure: "bots.createToken",
    input: (w) => ({
      botId: w.bot.id,
      name: "matrix",
      channelIds: [w.openChannel.id],
      canRead: true,
      canWrite: false,
    }),
    expect: ADMINS,
  },
  {
    procedure: "bots.revokeToken",
    input: async (w) => ({ id: await w.freshBotToken() }),
    expect: ADMINS,
  },

  // incoming webhooks and slash commands (admins)
  { procedure: "hooks.list", expect: ADMINS },
  {
    procedure: "hooks.create",
    input: (w) => ({ name: "matrix hook", conversationId: w.openChannel.id, botId: w.bot.id }),
    expect: ADMINS,
  },
  { procedure: "hooks.revoke", input: async (w) => ({ id: await w.freshHook() }), expect: ADMINS },
  { procedure: "commands.list", expect: ADMINS },
  {
    procedure: "commands.create",
    input: (w) => ({
      command: `/m${Math.random().toString(36).slice(2, 12)}`,
      callbackUrl: "https://example.com/deploy",
      botId: w.bot.id,
    }),
    expect: ADMINS,
  },
  { procedure: "commands.delete", input: async (w) => ({ id: await w.freshCommand() }), expect: ADMINS },

  // users
  { procedure: "users.me", expect: SIGNED_IN },
  { procedure: "users.setStatus", input: () => ({ emoji: "", text: "" }), expect: SIGNED_IN },
  { procedure: "users.preferences", expect: SIGNED_IN },
  { procedure: "users.updatePreferences", input: () => ({ sidebarUnreadsFirst: true }), expect: SIGNED_IN },
  { procedure: "users.list", expect: SIGNED_IN },
  { procedure: "users.listAll", expect: ADMINS },
  {
    procedure: "users.deactivate",
    input: async (w) => ({ userId: await w.freshUser() }),
    expect: ADMINS,
  },
  {
    procedure: "users.reactivate",
    input: async (w) => ({ userId: await w.freshUser({ deactivated: true }) }),
    expect: ADMINS,
  },
  { procedure: "users.people", input: () => ({}), expect: ADMINS },
  {
    procedure: "users.setRole",
    input: async (w) => ({ userId: await w.freshUser(), role: "member" }),
    expect: ADMINS,
  },
  {
    procedure: "users.transferOwnership",
    input: async (w) => ({ userId: await w.freshUser() }),
    expect: { ...ADMINS, admin: F },
    // The owner handed the workspace over: take it back, so the owner stays the owner.
    after: async (w, actor) => {
      if (actor !== "owner") return;
      await w.db.user.updateMany({ where: { role: "owner" }, data: { role: "member" } });
      await w.db.user.update({ where: { id: w.users.owner.id }, data: { role: "owner" } });
    },
  },
  {
    procedure: "users.createPasswordReset",
    input: async (w) => ({ userId: await w.freshUser() }),
    expect: ADMINS,
  },

  // conversations (the target is a private channel)
  { procedure: "conversations.list", expect: SIGNED_IN },
  { procedure: "conversations.browse", expect: SIGNED_IN },
  { procedure: "conversations.get", input: target, expect: TARGET_MEMBERS },
  {
    procedure: "conversations.create",
    input: () => ({ name: `c-${randomUUID().slice(0, 8)}`, isPrivate: true }),
    expect: { ...SIGNED_IN, guest: F },
  },
  {
    procedure: "conversations.join",
    input: target,
    // Private channels are never joined (members are added); outsiders learn nothing.
    expect: { ...TARGET_MEMBERS, owner: F, member: F, guest: F },
  },
  { procedure: "conversations.leave", input: fresh, expect: TARGET_MEMBERS },
  {
    procedure: "conversations.rename",
    input: async (w) => ({ ...(await fresh(w)), name: `r-${randomUUID().slice(0, 8)}` }),
    expect: CHANNEL_MANAGERS,
    reveals: managerView,
  },
  {
    procedure: "conversations.setTopic",
    input: (w) => ({ ...target(w), topic: "t" }),
    expect: TARGET_MEMBERS,
  },
  {
    procedure: "conversations.setDefault",
    // Public channels only (a private one is refused as "only public"); admins only.
    input: (w) => ({ conversationId: w.openChannel.id, isDefault: false }),
    expect: ADMINS,
  },
  { procedure: "conversations.archive", input: fresh, expect: CHANNEL_MANAGERS, reveals: managerView },
  { procedure: "conversations.unarchive", input: fresh, expect: CHANNEL_MANAGERS, reveals: managerView },
  { procedure: "conversations.members", input: target, expect: TARGET_MEMBERS },
  {
    procedure: "conversations.addMembers",
    input: async (w) => ({ ...(await fresh(w)), userIds: [w.users.nonMember.id] }),
    expect: { ...TARGET_MEMBERS, guest: F },
  },
  {
    procedure: "conversations.removeMember",
    input: async (w) => ({ ...(await fresh(w)), userId: w.spareId }),
    expect: CHANNEL_MANAGERS,
  },
  { procedure: "conversations.openDm", input: (w) => ({ userIds: [w.users.member.id] }), expect: SIGNED_IN },
  {
    procedure: "conversations.setMuted",
    input: (w) => ({ ...target(w), muted: false }),
    expect: TARGET_MEMBERS,
  },
  { procedure: "conversations.markRead", input: (w) => ({ ...target(w), seq: 1 }), expect: TARGET_MEMBERS },

  // channelAdmin (admins only; private channels by name and member count)
  { procedure: "channelAdmin.list", input: () => ({}), expect: ADMINS },
  {
    procedure: "channelAdmin.setArchived",
    input: async (w) => ({ ...(await fresh(w)), archived: true }),
    expect: ADMINS,
  },
  {
    procedure: "channelAdmin.convert",
    input: async (w) => ({ ...(await fresh(w)), isPrivate: false }),
    expect: ADMINS,
  },
  {
    procedure: "channelAdmin.setOwner",
    input: async (w) => ({ ...(await fresh(w)), userId: w.users.member.id }),
    expect: ADMINS,
  },
  {
    procedure: "channelAdmin.delete",
    input: async (w) => {
      const channel = await w.freshChannel();
      return { conversationId: channel.id, confirmName: channel.name };
    },
    expect: ADMINS,
  },

  // messages
  { procedure: "messages.history", input: target, expect: TARGET_MEMBERS },
  { procedure: "messages.thread", input: (w) => ({ rootId: w.message.id }), expect: TARGET_MEMBERS },
  { procedure: "messages.pins", input: target, expect: TARGET_MEMBERS },
  { procedure: "messages.pin", input: (w) => ({ messageId: w.message.id }), expect: TARGET_MEMBERS },
  { procedure: "messages.unpin", input: (w) => ({ messageId: w.message.id }), expect: TARGET_MEMBERS },
  {
    procedure: "messages.send",
    input: (w) => ({ ...target(w), clientMsgId: randomUUID(), body: "hi" }),
    expect: TARGET_MEMBERS,
  },
  {
    procedure: "messages.send",
    case: "a public channel the caller is not in",
    input: (w) => ({ conversationId: w.openChannel.id, clientMsgId: randomUUID(), body: "hi" }),
    // Members of the workspace may read it, so they are told to join; a guest may not even read it.
    expect: { ...SIGNED_IN, admin: F, member: F, guest: N, nonMember: F, removed: F },
  },
  {
    procedure: "messages.edit",
    input: async (w) => ({ messageId: (await w.freshMessage("member")).id, body: "edited" }),
    // Only the sender edits.
    expect: { ...TARGET_MEMBERS, owner: F, guest: F },
  },
  {
    procedure: "messages.removePreview",
    input: async (w) => ({ messageId: (await w.freshMessage("member")).id }),
    // Only the sender removes a preview (a message without one is a no-op for them).
    expect: { ...TARGET_MEMBERS, owner: F, guest: F },
  },
  {
    procedure: "messages.previewImageUrl",
    input: (w) => ({ messageId: w.message.id }),
    // Whoever can read the message; everyone else is answered as if it did not exist.
    expect: TARGET_MEMBERS,
  },
  {
    procedure: "messages.react",
    input: (w) => ({ messageId: w.message.id, emoji: "👍" }),
    expect: TARGET_MEMBERS,
  },
  {
    procedure: "messages.unreact",
    input: (w) => ({ messageId: w.message.id, emoji: "👍" }),
    expect: TARGET_MEMBERS,
  },
  {
    procedure: "messages.delete",
    input: async (w) => ({ messageId: (await w.freshMessage("member")).id }),
    // The sender, or a workspace admin (even one not in the conversation).
    expect: { ...TARGET_MEMBERS, admin: ok, guest: F },
  },

  // files
  { procedure: "files.limits", expect: SIGNED_IN },
  {
    procedure: "files.createUpload",
    input: (w) => ({ ...target(w), name: "a.txt", size: 3, mime: "text/plain" }),
    expect: TARGET_MEMBERS,
  },
  {
    procedure: "files.completeUpload",
    input: (w) => ({ attachmentId: w.pendingUploadId }),
    // Only the uploader (the member) gets past authorization; no bytes were uploaded, so it is refused then.
    expect: { ...TARGET_MEMBERS, owner: N, member: "BAD_REQUEST", guest: N },
  },
  {
    procedure: "files.downloadUrl",
    input: (w) => ({ attachmentId: w.attachmentId }),
    expect: TARGET_MEMBERS,
  },

  // realtime, search, receipts
  { procedure: "realtime.ticket", expect: SIGNED_IN },
  {
    procedure: "search.messages",
    input: (w) => ({ query: "hello", ...target(w) }),
    // Answers everyone, but finds nothing in a conversation the caller cannot read.
    expect: SIGNED_IN,
    reveals: (result, actor) =>
      (result as { hits: unknown[] }).hits.length > 0 === ["owner", "member", "guest"].includes(actor),
  },
  { procedure: "search.names", input: () => ({ query: "target" }), expect: SIGNED_IN },
  { procedure: "receipts.get", input: target, expect: TARGET_MEMBERS },
  { procedure: "receipts.settings", expect: SIGNED_IN },
  { procedure: "receipts.setEnabled", input: () => ({ enabled: true }), expect: SIGNED_IN },

  // notifications: one's own settings only
  { procedure: "notifications.settings", expect: SIGNED_IN },
  { procedure: "notifications.updateSettings", input: () => ({}), expect: SIGNED_IN },
  { procedure: "notifications.setDoNotDisturb", input: () => ({ hours: null }), expect: SIGNED_IN },
  {
    procedure: "notifications.setConversation",
    input: (w) => ({ ...target(w), level: "default" }),
    expect: TARGET_MEMBERS,
  },
  { procedure: "notifications.pushKey", expect: SIGNED_IN },
  {
    procedure: "notifications.subscribePush",
    input: () => ({
      endpoint: `https://push.example.test/${randomUUID()}`,
      keys: {
        p256dh:
          "BElmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZm",
        auth: "c2VjcmV0c2VjcmV0c2VjcmV0",
      },
    }),
    expect: SIGNED_IN,
  },
  {
    procedure: "notifications.unsubscribePush",
    input: () => ({ endpoint: "https://push.example.test/none" }),
    expect: SIGNED_IN,
  },
  { procedure: "notifications.markAllRead", expect: SIGNED_IN },

  // operations, invites, retention
  { procedure: "operations.health", expect: ADMINS },
  { procedure: "invites.create", input: () => ({}), expect: { ...SIGNED_IN, guest: F } },
  { procedure: "invites.list", expect: ADMINS },
  {
    procedure: "invites.revoke",
    input: async (w) => ({ id: await w.freshInvite() }),
    // Admins, or the member who made it; to anyone else it is unknown.
    expect: { ...ADMINS, member: ok, guest: N, nonMember: N, removed: N },
  },
  { procedure: "invites.check", input: () => ({ token: "no-such-invite" }), expect: ANYONE },
  { procedure: "retention.settings", expect: ADMINS },
  { procedure: "retention.setWorkspace", input: () => ({ days: 0 }), expect: ADMINS },
  {
    procedure: "retention.setChannel",
    input: async (w) => ({ ...(await fresh(w)), days: null }),
    expect: ADMINS,
  },
  { procedure: "retention.preview", expect: ADMINS },

  // custom emoji, user groups, profiles and avatars (matrix-people.ts)
  ...PEOPLE_ROWS,

  // data exports (matrix-exports.ts)
  ...EXPORT_ROWS,
  ...LATER_ROWS,
  ...SLACK_IMPORT_ROWS,
];

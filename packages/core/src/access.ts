/** Loading a conversation together with the actor's membership, and the read/write rules. */
import type { ConversationKind, MemberRole } from "@parley/db";
import { isAdmin, type TActor } from "./actor.ts";
import { errorTemplate, ParleyError } from "./errors.ts";
import { isGuestSql } from "./guests.ts";
import type { TTx } from "./tx.ts";

/** The columns permission checks need. */
export type TConversationAccess = {
  id: string;
  kind: ConversationKind;
  name: string | null;
  archivedAt: Date | null;
  lastSeq: number;
  /** The retention tombstone: every event up to it was removed (0 = none). */
  truncatedSeq: number;
  memberRole: MemberRole | null;
  /** The actor is a workspace guest, by the role stored now (never a cached one). */
  isGuest: boolean;
};

/** True for public and private channels (not DMs). */
export function isChannelKind(kind: ConversationKind): boolean {
  return kind === "public_channel" || kind === "private_channel";
}

/**
 * The conversation and the actor's role in it (null when not a member); NOT_FOUND if it does not
 * exist. With `lock`, takes the conversation's row lock first (membership changes serialise on it).
 */
export async function loadAccess(
  tx: TTx,
  actor: TActor,
  conversationId: string,
  opts: { lock?: boolean } = {},
): Promise<TConversationAccess> {
  const lock = opts.lock ? "FOR UPDATE OF c" : "";
  const rows = await tx.$queryRawUnsafe<TConversationAccess[]>(
    `SELECT c.id, c.kind::text AS kind, c.name, c."archivedAt", c."lastSeq", c."truncatedSeq", m.role::text AS "memberRole",
       ${isGuestSql("$2::uuid")} AS "isGuest"
     FROM "Conversation" c
     LEFT JOIN "Membership" m ON m."conversationId" = c.id AND m."userId" = $2::uuid
     WHERE c.id = $1::uuid ${lock}`,
    conversationId,
    actor.userId,
  );
  const row = rows[0];
  if (!row) throw notFound();
  return row;
}

/**
 * What the read, member and archive rules look at: a loaded ConversationAccess, or the same facts
 * from another read (a send's pre-read, which reads them for many sends in one query).
 */
export type TAccessFacts = Pick<TConversationAccess, "kind" | "memberRole" | "archivedAt"> & {
  /** Whether the actor is a guest (absent: not known; treated as not a guest, so pass it wherever membership may be missing). */
  isGuest?: boolean;
};

type TReadFacts = Pick<TAccessFacts, "kind" | "memberRole" | "isGuest">;

/**
 * Public channels are readable by every active user but guests; everything else (and, for guests,
 * everything) by its members only.
 */
export function canRead(access: TReadFacts): boolean {
  return access.memberRole !== null || (access.kind === "public_channel" && access.isGuest !== true);
}

/**
 * `canRead` as SQL, for lists that must leave out what the user can no longer read (saved
 * messages, reminders): true when the user `userExpr` (a uuid expression) may read the
 * conversation aliased `c` now — a public channel (not for guests), or one they are a member of.
 */
export function canReadSql(userExpr: string, c: string): string {
  return `((${c}.kind = 'public_channel' AND NOT ${isGuestSql(userExpr)}) OR EXISTS (
    SELECT 1 FROM "Membership" "readM" WHERE "readM"."conversationId" = ${c}.id AND "readM"."userId" = ${userExpr}))`;
}

/**
 * What every unknown OR unreadable id answers: NOT_FOUND with the same text, so no answer tells
 * "exists but not yours" from "does not exist" (issue 9, defect 5). FORBIDDEN is only ever said
 * about things the caller can read (a public channel they have not joined, an archived one, …).
 */
export const NotFound = {
  conversation: errorTemplate("Conversation not found"),
  message: errorTemplate("Message not found"),
  thread: errorTemplate("Thread not found"),
  file: errorTemplate("File not found"),
  upload: errorTemplate("Upload not found"),
} as const;

/** One of the `NotFound` texts. */
export type TNotFoundText = (typeof NotFound)[keyof typeof NotFound];

/** The NOT_FOUND error for an unknown or unreadable thing (see `NotFound`). */
export function notFound(message: TNotFoundText = NotFound.conversation): ParleyError {
  return new ParleyError("NOT_FOUND", message);
}

/**
 * Throws NOT_FOUND (exactly like a missing conversation, or `as` for the thing asked about) unless
 * the actor may read the conversation.
 */
export function requireRead(access: TReadFacts, as: TNotFoundText = NotFound.conversation): void {
  if (!canRead(access)) throw notFound(as);
}

/**
 * Throws unless the actor is a member: NOT_FOUND (as `requireRead`) when they cannot even read it,
 * FORBIDDEN with a hint to join for a public channel they can read but have not joined.
 */
export function requireMember(access: TReadFacts, as: TNotFoundText = NotFound.conversation): void {
  if (access.memberRole !== null) return;
  requireRead(access, as);
  throw new ParleyError("FORBIDDEN", "Join the channel first");
}

/** Throws FORBIDDEN when the conversation is archived. */
export function requireNotArchived(access: Pick<TAccessFacts, "archivedAt">): void {
  if (access.archivedAt) throw new ParleyError("FORBIDDEN", "This conversation is archived");
}

/**
 * Throws unless it is a channel and the actor owns it or is a workspace admin/owner. Workspace
 * admins manage every channel (private ones included); anyone else gets NOT_FOUND for what they
 * cannot read, so the answer reveals nothing about it.
 */
export function requireChannelManager(actor: TActor, access: TConversationAccess): void {
  const isAdmin = actor.role === "admin" || actor.role === "owner";
  if (!canRead(access) && !(isAdmin && isChannelKind(access.kind))) throw notFound();
  if (!isChannelKind(access.kind))
    throw new ParleyError("FORBIDDEN", "Only channels can be changed this way");
  const isManager = access.memberRole === "owner" || isAdmin;
  if (!isManager)
    throw new ParleyError("FORBIDDEN", "Only the channel owner or a workspace admin can do this");
}

/**
 * Audit details of a change `requireChannelManager` allowed: the channel's kind, and whether the
 * actor used a workspace admin's power rather than owning the channel. Every such change is
 * recorded either way (archive, rename, removing someone), so the log answers "who changed this
 * channel" whichever of the two did it.
 */
export function channelManagerAudit(
  actor: TActor,
  access: Pick<TConversationAccess, "memberRole" | "kind">,
): { kind: ConversationKind; asWorkspaceAdmin: boolean } {
  return { kind: access.kind, asWorkspaceAdmin: access.memberRole !== "owner" && isAdmin(actor) };
}

/** A message row locked for a write, with its conversation's access (see `lockMessageRow`). */
export type TLockedMessageRow = {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  body: string;
  threadRootId: string | null;
  /** When it was sent (the edit and delete windows count from it). */
  createdAt: Date;
  /** Whether the body mentions everyone (@channel, @here, @everyone). */
  mentionsAll: boolean;
  deletedAt: Date | null;
  pinnedAt: Date | null;
  pinnedById: string | null;
  access: TConversationAccess;
};

/**
 * The one way message writers (edit, react, pin, delete) find their message: takes the
 * conversation's row lock, then the message's (`FOR NO KEY UPDATE`, which does not block the
 * `FOR KEY SHARE` a Reaction insert takes; the order every message writer uses, so none deadlocks
 * with another or with a send), and answers NOT_FOUND "Message not found" both for an unknown id
 * and for a message in a conversation the actor cannot read (unless `bypassRead`: workspace
 * admins deleting). Checks nothing else: callers
 * add membership, archive and sender rules.
 */
export async function lockMessageRow(
  tx: TTx,
  actor: TActor,
  messageId: string,
  opts: { bypassRead?: boolean } = {},
): Promise<TLockedMessageRow> {
  const [ref] = await tx.$queryRaw<{ conversationId: string }[]>`
    SELECT "conversationId" FROM "Message" WHERE id = ${messageId}::uuid`;
  if (!ref) throw notFound(NotFound.message);
  const access = await loadAccess(tx, actor, ref.conversationId, { lock: true });
  if (!opts.bypassRead) requireRead(access, NotFound.message);
  const [message] = await tx.$queryRaw<Omit<TLockedMessageRow, "access">[]>`
    SELECT id, "conversationId", seq, "senderId", body, "threadRootId", "createdAt", "mentionsAll", "deletedAt",
      "pinnedAt", "pinnedById"
    FROM "Message" WHERE id = ${messageId}::uuid FOR NO KEY UPDATE`;
  if (!message) throw notFound(NotFound.message);
  return { ...message, access };
}

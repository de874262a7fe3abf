/** Loading a conversation together with the actor's membership, and the read/write rules. */
import type { ConversationKind, MemberRole } from "@parley/db";
import type { Actor } from "./actor.ts";
import { ParleyError } from "./errors.ts";
import type { Tx } from "./tx.ts";

/** The columns permission checks need. */
export type ConversationAccess = {
  id: string;
  kind: ConversationKind;
  name: string | null;
  archivedAt: Date | null;
  lastSeq: number;
  memberRole: MemberRole | null;
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
  tx: Tx,
  actor: Actor,
  conversationId: string,
  opts: { lock?: boolean } = {},
): Promise<ConversationAccess> {
  const lock = opts.lock ? "FOR UPDATE OF c" : "";
  const rows = await tx.$queryRawUnsafe<
    {
      id: string;
      kind: ConversationKind;
      name: string | null;
      archivedAt: Date | null;
      lastSeq: number;
      memberRole: MemberRole | null;
    }[]
  >(
    `SELECT c.id, c.kind::text AS kind, c.name, c."archivedAt", c."lastSeq", m.role::text AS "memberRole"
     FROM "Conversation" c
     LEFT JOIN "Membership" m ON m."conversationId" = c.id AND m."userId" = $2::uuid
     WHERE c.id = $1::uuid ${lock}`,
    conversationId,
    actor.userId,
  );
  const row = rows[0];
  if (!row) throw new ParleyError("NOT_FOUND", "Conversation not found");
  return row;
}

/** Public channels are readable by every active user; everything else by its members only. */
export function canRead(access: ConversationAccess): boolean {
  return access.kind === "public_channel" || access.memberRole !== null;
}

/** Throws FORBIDDEN unless the actor may read the conversation. */
export function requireRead(access: ConversationAccess): void {
  if (!canRead(access)) throw new ParleyError("FORBIDDEN", "You are not a member of this conversation");
}

/** Throws FORBIDDEN unless the actor is a member (with a hint to join public channels). */
export function requireMember(access: ConversationAccess): void {
  if (access.memberRole !== null) return;
  if (access.kind === "public_channel") throw new ParleyError("FORBIDDEN", "Join the channel first");
  throw new ParleyError("FORBIDDEN", "You are not a member of this conversation");
}

/** Throws FORBIDDEN when the conversation is archived. */
export function requireNotArchived(access: ConversationAccess): void {
  if (access.archivedAt) throw new ParleyError("FORBIDDEN", "This conversation is archived");
}

/** Throws FORBIDDEN unless it is a channel and the actor owns it or is a workspace admin/owner. */
export function requireChannelManager(actor: Actor, access: ConversationAccess): void {
  if (!isChannelKind(access.kind))
    throw new ParleyError("FORBIDDEN", "Only channels can be changed this way");
  const isManager = access.memberRole === "owner" || actor.role === "admin" || actor.role === "owner";
  if (!isManager)
    throw new ParleyError("FORBIDDEN", "Only the channel owner or a workspace admin can do this");
}

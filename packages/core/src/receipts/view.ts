/**
 * Read receipts as a member sees them when a conversation opens (live changes then come as
 * `receipts` frames, relay.ts), and the "send read receipts" preference.
 *
 * Rules (checked here, whatever the UI shows): only members of the conversation may read its
 * receipts (a public channel's non-members get what an unknown id gets); DMs and group DMs show
 * delivered and read cursors, channels of at most RECEIPTS_MAX_MEMBERS only read cursors, larger
 * channels nothing. A user with sendReadReceipts off neither shows their read cursor nor sees
 * anyone's (delivered ticks stay: they are not read receipts).
 */
import type { TDb } from "@parley/db";
import { RECEIPTS_MAX_MEMBERS, UserEventKind } from "@parley/protocol";
import { z } from "zod";
import { loadAccess, requireMember } from "../access.ts";
import type { TActor } from "../actor.ts";
import { parseInput } from "../errors.ts";
import { ZId } from "../schemas.ts";
import { appendUserEvent, inWriteTx } from "../tx.ts";
import { isDirectKind } from "./relay.ts";

export const ZReadReceiptsInput = z.object({ conversationId: ZId });
export const ZSetSendReadReceipts = z.object({ enabled: z.boolean() });

/** One other member's cursors; `readSeq` is null when it is not shown to the viewer. */
export type TMemberReceipt = { userId: string; name: string; deliveredSeq: number; readSeq: number | null };

/** What a member sees of a conversation's read state. */
export type TReadReceipts = {
  conversationId: string;
  /** False for channels above RECEIPTS_MAX_MEMBERS: no read state is shown there. */
  isAvailable: boolean;
  /** The viewer's own preference: when false, no read cursors are shown to them. */
  sendsReadReceipts: boolean;
  /** The other members (never the viewer), by name. */
  members: TMemberReceipt[];
};

/** The receipts of one conversation for its member `actor`; NOT_FOUND for non-members. */
export async function getReadReceipts(db: TDb, actor: TActor, input: unknown): Promise<TReadReceipts> {
  const { conversationId } = parseInput(ZReadReceiptsInput, input);
  const access = await loadAccess(db, actor, conversationId);
  requireMember(access);
  const rows = await db.membership.findMany({
    where: { conversationId },
    select: {
      userId: true,
      deliveredSeq: true,
      readSeq: true,
      user: { select: { name: true, sendReadReceipts: true } },
    },
    orderBy: { joinedAt: "asc" },
    take: RECEIPTS_MAX_MEMBERS + 1,
  });
  const me = rows.find((r) => r.userId === actor.userId);
  const sendsReadReceipts =
    me?.user.sendReadReceipts ??
    (await db.user.findUnique({ where: { id: actor.userId }, select: { sendReadReceipts: true } }))
      ?.sendReadReceipts ??
    true;
  if (rows.length > RECEIPTS_MAX_MEMBERS) {
    return { conversationId, isAvailable: false, sendsReadReceipts, members: [] };
  }
  const isDirect = isDirectKind(access.kind);
  const members = rows
    .filter((r) => r.userId !== actor.userId)
    .map((r) => {
      const isShown = sendsReadReceipts && r.user.sendReadReceipts;
      return {
        userId: r.userId,
        name: r.user.name,
        // Reading implies having received.
        deliveredSeq: isDirect ? Math.max(r.deliveredSeq, r.readSeq) : 0,
        readSeq: isShown ? r.readSeq : null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { conversationId, isAvailable: true, sendsReadReceipts, members };
}

/** The actor's "send read receipts" preference. */
export async function getReceiptSettings(db: TDb, actor: TActor): Promise<{ sendReadReceipts: boolean }> {
  const user = await db.user.findUnique({ where: { id: actor.userId }, select: { sendReadReceipts: true } });
  return { sendReadReceipts: user?.sendReadReceipts ?? true };
}

/**
 * Turns sending read receipts on or off; the user's devices learn it from `preferences.updated`
 * on their log (so every open tab stops showing read ticks at once).
 */
export async function setSendReadReceipts(
  db: TDb,
  actor: TActor,
  input: unknown,
): Promise<{ sendReadReceipts: boolean }> {
  const { enabled } = parseInput(ZSetSendReadReceipts, input);
  return inWriteTx(db, async (w) => {
    await w.tx.user.update({ where: { id: actor.userId }, data: { sendReadReceipts: enabled } });
    await appendUserEvent(w, actor.userId, UserEventKind.PreferencesUpdated, { sendReadReceipts: enabled });
    return { sendReadReceipts: enabled };
  });
}

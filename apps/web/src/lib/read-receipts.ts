/**
 * Read receipts as the UI shows them, derived from the other members' cursors (never a row per
 * message per reader): in DMs and group DMs the sender's own messages show sent → delivered →
 * seen; in small channels "Seen by N". Pure: no React and no calls (receipts-data.ts feeds it).
 */
import type { TReceiptsFrame } from "@parley/protocol";
import type { TRouterOutputs } from "~/trpc/types";

/** What `receipts.get` answers (and live frames patch). */
export type TReceiptState = TRouterOutputs["receipts"]["get"];

/** One other member's cursors; `readSeq` null when it is not shown to this viewer. */
export type TReceiptMember = TReceiptState["members"][number];

/** The tick on one of the viewer's own messages in a DM or group DM. */
export type TTick = "sent" | "delivered" | "seen";

/**
 * A stored message at `seq` is `seen` once any other member's read cursor reached it, `delivered`
 * once any of their devices holds it (reading implies holding), else `sent`.
 */
export function tickState(seq: number, members: readonly TReceiptMember[]): TTick {
  let isDelivered = false;
  for (const m of members) {
    if (m.readSeq !== null && m.readSeq >= seq) return "seen";
    if (m.deliveredSeq >= seq) isDelivered = true;
  }
  return isDelivered ? "delivered" : "sent";
}

/** Names of the other members whose read cursor reached `seq`, by name (never the sender). */
export function seenBy(seq: number, members: readonly TReceiptMember[], senderId: string): string[] {
  return members
    .filter((m) => m.userId !== senderId && m.readSeq !== null && m.readSeq >= seq)
    .map((m) => m.name);
}

/**
 * A live `receipts` frame applied to the state: cursors only move forward (the larger value wins,
 * so a late frame never moves one back). Members the state does not know are left to the next fetch.
 * Read cursors are ignored while the viewer does not send receipts.
 */
export function applyReceipts(state: TReceiptState, frame: TReceiptsFrame): TReceiptState {
  if (frame.conversationId !== state.conversationId) return state;
  let changed = false;
  const members = state.members.map((m) => {
    const c = frame.cursors.find((x) => x.userId === m.userId);
    if (!c) return m;
    const deliveredSeq = Math.max(m.deliveredSeq, c.deliveredSeq ?? 0, c.readSeq ?? 0);
    const readSeq =
      state.sendsReadReceipts && c.readSeq !== undefined ? Math.max(m.readSeq ?? 0, c.readSeq) : m.readSeq;
    if (deliveredSeq === m.deliveredSeq && readSeq === m.readSeq) return m;
    changed = true;
    return { ...m, deliveredSeq, readSeq };
  });
  return changed ? { ...state, members } : state;
}

"use client";

/**
 * The read state under one of the viewer's own messages: a tick (Sent / Delivered / Seen) in DMs
 * and group DMs, "Seen by N" with the names in the tooltip in channels of at most 50 members.
 * Nothing while the receipts are loading or unavailable (large channels). The thread panel gets the
 * same receipts as the history: a reply is one seq of the conversation, read by the same cursors.
 */
import { useTranslations } from "next-intl";
import { seenBy, type TReceiptState, tickState } from "~/lib/read-receipts";

const TICK_GLYPH = { sent: "✓", delivered: "✓✓", seen: "✓✓" } as const;

/** The conversation's receipts as a message row gets them (MessageContext's `receipts`). */
export type TRowReceipts = { state: TReceiptState; isDirect: boolean };

export function ReadReceipt({
  seq,
  senderId,
  receipts,
}: {
  seq: number;
  senderId: string;
  receipts: TRowReceipts | undefined;
}) {
  const t = useTranslations("Receipts");
  if (!receipts?.state.isAvailable) return null;
  const { members } = receipts.state;
  if (receipts.isDirect) {
    const tick = tickState(seq, members);
    return (
      <span className={`receipt tick-${tick}`} role="img" aria-label={t(tick)} title={t(tick)}>
        {TICK_GLYPH[tick]}
      </span>
    );
  }
  const names = seenBy(seq, members, senderId);
  if (names.length === 0) return null;
  return (
    <span className="receipt seen-by" title={names.join(", ")}>
      {t("seenBy", { count: names.length })}
    </span>
  );
}

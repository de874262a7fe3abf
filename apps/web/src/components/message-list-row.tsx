"use client";

/**
 * One row of the message list (components/message-list.tsx): a stored message with its day and
 * "New messages" separators, the reader's own message not stored yet, or a message only they see
 * (a slash command's answer). Each is wrapped in the `.ml-row` the list measures.
 */
import { useTranslations } from "next-intl";
import type { TEphemeral } from "~/lib/ephemeral";
import type { TPendingMessage } from "~/lib/outbox";
import type { TTimelineRow } from "~/lib/timeline";
import type { TMessage } from "~/trpc/types";
import { EphemeralItem } from "./ephemeral-item";
import { MessageItem, PendingItem, type TMessageActions } from "./message-item";

export type TListItem =
  | { kind: "message"; key: string; row: TTimelineRow<TMessage> }
  | { kind: "pending"; key: string; pending: TPendingMessage }
  | { kind: "ephemeral"; key: string; ephemeral: TEphemeral };

export type TListRowProps = {
  item: TListItem;
  /** The row's tab index in the feed's roving focus. */
  tabIndex: number;
  isHighlighted: boolean;
  observeRow: (row: HTMLElement | null) => void;
  meId: string;
  meName: string;
  names: ReadonlyMap<string, string>;
  canAct: boolean;
  actions: TMessageActions;
  onRetry: (clientMsgId: string) => void;
  onDismissEphemeral?: ((id: string) => void) | undefined;
};

export function MessageListRow({
  item,
  tabIndex,
  isHighlighted,
  observeRow,
  meId,
  meName,
  names,
  canAct,
  actions,
  onRetry,
  onDismissEphemeral,
}: TListRowProps) {
  const t = useTranslations("MessageList");
  if (item.kind === "ephemeral") {
    return (
      <div className="ml-row" ref={observeRow}>
        <EphemeralItem
          article={{ tabIndex, "aria-setsize": -1 }}
          e={item.ephemeral}
          names={names}
          meId={meId}
          onDismiss={() => onDismissEphemeral?.(item.ephemeral.id)}
        />
      </div>
    );
  }
  if (item.kind === "pending") {
    return (
      <div className="ml-row" ref={observeRow}>
        <PendingItem
          article={{ tabIndex, "aria-setsize": -1 }}
          p={item.pending}
          senderName={meName}
          names={names}
          meId={meId}
          onRetry={() => onRetry(item.pending.clientMsgId)}
        />
      </div>
    );
  }
  const { row } = item;
  return (
    <div className={isHighlighted ? "ml-row ml-highlight" : "ml-row"} ref={observeRow}>
      <MessageItem
        article={{ tabIndex, "aria-posinset": row.message.seq, "aria-setsize": -1 }}
        before={
          row.day || row.isFirstNew ? (
            <>
              {row.day ? (
                // biome-ignore lint/a11y/useSemanticElements: an <hr> cannot show the day's name
                <div className="ml-day" role="separator" aria-label={row.day}>
                  <span>{row.day}</span>
                </div>
              ) : null}
              {row.isFirstNew ? (
                // biome-ignore lint/a11y/useSemanticElements: an <hr> cannot show its label
                <div className="ml-new" role="separator" aria-label={t("newMessages")}>
                  <span>{t("newMessages")}</span>
                </div>
              ) : null}
            </>
          ) : null
        }
        m={row.message}
        isGrouped={row.isGrouped}
        meId={meId}
        names={names}
        canAct={canAct}
        actions={actions}
      />
    </div>
  );
}

"use client";

import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useFormats } from "~/i18n/format";
import { useErrorText } from "~/i18n/server-errors";
import { useTRPC } from "~/trpc/react";
import type { TMessage } from "~/trpc/types";
import { MessageBody } from "./message-body";

/** The conversation's pinned messages, newest pin first; a click jumps to the message (or its thread). */
export function PinsPanel({
  conversationId,
  onJump,
  onOpenThread,
  onClose,
}: {
  conversationId: string;
  onJump: (seq: number) => void;
  onOpenThread: (rootId: string) => void;
  onClose: () => void;
}) {
  const t = useTranslations("Pins");
  const errorText = useErrorText();
  const fmt = useFormats();
  const trpc = useTRPC();
  const pins = useQuery(trpc.messages.pins.queryOptions({ conversationId }));
  const open = (m: TMessage) => {
    if (m.threadRootId && !m.alsoInChannel) onOpenThread(m.threadRootId);
    else onJump(m.seq);
  };
  return (
    <aside className="side-panel" aria-label={t("heading")}>
      <header className="panel-header">
        <h2>
          <span aria-hidden="true">📌</span> {t("heading")}
        </h2>
        <button type="button" className="quiet icon close" aria-label={t("close")} onClick={onClose}>
          ✕
        </button>
      </header>
      <div className="panel-body">
        {pins.error ? (
          <p role="alert" className="error panel-note">
            {errorText(pins.error)}
          </p>
        ) : !pins.data ? (
          <p className="muted panel-note">{t("loading")}</p>
        ) : pins.data.length === 0 ? (
          <p className="muted panel-note">{t("empty")}</p>
        ) : (
          <ul className="pin-list" aria-label={t("list")}>
            {pins.data.map((m) => (
              <li key={m.id}>
                <button
                  type="button"
                  className="pin-card"
                  aria-label={t("jumpTo", { name: m.senderName })}
                  onClick={() => open(m)}
                >
                  <span className="meta">
                    <span className="sender">{m.senderName}</span>
                    <time dateTime={new Date(m.createdAt).toISOString()}>{fmt.time(m.createdAt)}</time>
                  </span>
                  <span className="pin-body">
                    <MessageBody text={m.body} />
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </aside>
  );
}

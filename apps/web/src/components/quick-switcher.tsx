"use client";

import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { useId, useMemo, useState } from "react";
import { switcherResults } from "~/lib/conversation-order";
import { usePicker } from "~/lib/use-picker";
import type { TConversationSummary } from "~/trpc/types";

function labelOf(c: TConversationSummary, directMessage: string): string {
  return c.name ?? directMessage;
}

/** Ctrl/Cmd+K: type to filter channels and DMs, ↑/↓ to pick, Enter to go, Escape to close. */
export function QuickSwitcher({
  conversations,
  onClose,
}: {
  conversations: readonly TConversationSummary[];
  onClose: () => void;
}) {
  const t = useTranslations("Switcher");
  const router = useRouter();
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const listId = useId();
  const results = useMemo(() => switcherResults(conversations, query), [conversations, query]);
  const current = results[Math.min(active, results.length - 1)];
  const picker = usePicker({
    onClose,
    activeId: current ? `${listId}-${current.id}` : null,
    count: results.length,
    setActive,
    onPick: () => go(current),
  });

  function go(c: TConversationSummary | undefined) {
    if (!c) return;
    picker.leave();
    onClose();
    router.push(`/app/c/${c.id}`);
  }

  return (
    <div className="modal-backdrop">
      <div className="switcher" ref={picker.dialog} role="dialog" aria-modal="true" aria-label={t("dialog")}>
        <input
          type="search"
          role="combobox"
          aria-label={t("search")}
          aria-expanded="true"
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={current ? `${listId}-${current.id}` : undefined}
          placeholder={t("placeholder")}
          // biome-ignore lint/a11y/noAutofocus: the switcher exists to be typed into
          autoFocus
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={picker.onKeyDown}
        />
        <div className="switcher-results" id={listId} role="listbox" aria-label={t("results")}>
          {results.map((c, i) => {
            const isChannel = c.kind === "public_channel" || c.kind === "private_channel";
            const isUnread = c.unreadCount > 0 && !c.muted;
            return (
              // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox handles the keyboard
              <div
                key={c.id}
                id={`${listId}-${c.id}`}
                role="option"
                tabIndex={-1}
                aria-selected={c.id === current?.id}
                className={isUnread ? "option unread" : "option"}
                onMouseMove={() => setActive(i)}
                onClick={() => go(c)}
              >
                <span>
                  <span aria-hidden="true" className="muted">
                    {isChannel ? (c.kind === "private_channel" ? "🔒 " : "# ") : "@ "}
                  </span>
                  {labelOf(c, t("directMessage"))}
                </span>
                {c.mentionCount > 0 ? (
                  <span className="pill mention">
                    {c.mentionCount}
                    <span className="visually-hidden"> {t("mentionWord", { count: c.mentionCount })}</span>
                  </span>
                ) : isUnread ? (
                  <span className="pill count">
                    {c.unreadCount}
                    <span className="visually-hidden"> {t("unreadWord")}</span>
                  </span>
                ) : null}
              </div>
            );
          })}
        </div>
        {results.length === 0 ? <p className="muted empty">{t("none", { query })}</p> : null}
        <p className="hint">{t("hint")}</p>
      </div>
    </div>
  );
}

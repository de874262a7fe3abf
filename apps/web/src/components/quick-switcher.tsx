"use client";

import { useRouter } from "next/navigation";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { switcherResults } from "~/lib/conversation-order";
import type { TConversationSummary } from "~/trpc/types";

function labelOf(c: TConversationSummary): string {
  return c.name ?? "Direct message";
}

/** Ctrl/Cmd+K: type to filter channels and DMs, ↑/↓ to pick, Enter to go, Escape to close. */
export function QuickSwitcher({
  conversations,
  onClose,
}: {
  conversations: readonly TConversationSummary[];
  onClose: () => void;
}) {
  const router = useRouter();
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const listId = useId();
  const returnFocus = useRef<Element | null>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  const results = useMemo(() => switcherResults(conversations, query), [conversations, query]);
  const current = results[Math.min(active, results.length - 1)];

  useEffect(() => {
    returnFocus.current = document.activeElement;
    // A press outside the dialog (on the backdrop) closes it.
    const onDown = (e: MouseEvent) => {
      if (dialog.current && !dialog.current.contains(e.target as Node)) close.current();
    };
    document.addEventListener("mousedown", onDown);
    return () => {
      document.removeEventListener("mousedown", onDown);
      if (returnFocus.current instanceof HTMLElement) returnFocus.current.focus();
    };
  }, []);

  useEffect(() => {
    if (current) document.getElementById(`${listId}-${current.id}`)?.scrollIntoView({ block: "nearest" });
  }, [current, listId]);

  function go(c: TConversationSummary | undefined) {
    if (!c) return;
    returnFocus.current = null; // the new page decides where focus goes
    onClose();
    router.push(`/app/c/${c.id}`);
  }

  return (
    <div className="modal-backdrop">
      <div
        className="switcher"
        ref={dialog}
        role="dialog"
        aria-modal="true"
        aria-label="Jump to conversation"
      >
        <input
          type="search"
          role="combobox"
          aria-label="Search conversations"
          aria-expanded="true"
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={current ? `${listId}-${current.id}` : undefined}
          placeholder="Jump to a channel or person…"
          // biome-ignore lint/a11y/noAutofocus: the switcher exists to be typed into
          autoFocus
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown") {
              e.preventDefault();
              setActive((i) => (results.length ? (i + 1) % results.length : 0));
            } else if (e.key === "ArrowUp") {
              e.preventDefault();
              setActive((i) => (results.length ? (i - 1 + results.length) % results.length : 0));
            } else if (e.key === "Enter") {
              e.preventDefault();
              go(current);
            } else if (e.key === "Escape") {
              e.preventDefault();
              onClose();
            }
          }}
        />
        <div className="switcher-results" id={listId} role="listbox" aria-label="Conversations">
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
                  {labelOf(c)}
                </span>
                {c.mentionCount > 0 ? (
                  <span className="pill mention">
                    {c.mentionCount}
                    <span className="visually-hidden"> {c.mentionCount === 1 ? "mention" : "mentions"}</span>
                  </span>
                ) : isUnread ? (
                  <span className="pill count">
                    {c.unreadCount}
                    <span className="visually-hidden"> unread</span>
                  </span>
                ) : null}
              </div>
            );
          })}
        </div>
        {results.length === 0 ? <p className="muted empty">No conversations match “{query}”.</p> : null}
        <p className="hint">
          ↑ ↓ to choose · Enter to open · Esc to close · Alt+↑/↓ switches conversations anywhere
        </p>
      </div>
    </div>
  );
}

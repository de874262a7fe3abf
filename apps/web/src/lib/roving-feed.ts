"use client";

/**
 * Keyboard use of a message list, after the WAI-ARIA feed pattern (docs/accessibility.md): the
 * rows are `<article class="msg">` elements in a `role="feed"`; one of them is the list's single
 * tab stop (roving tabindex) and the keys below move focus between them without the mouse.
 *
 * - ↑/↓ (and Page Up/Page Down, the pattern's own keys) focus the previous/next message; Home/End
 *   the first/last one on screen. At the top, `onTop` asks for older messages.
 * - Enter on a message focuses its first action (the row's toolbar shows while focus is inside);
 *   ←/→ move along the toolbar; Escape goes back to the message.
 * - A on a message saves it for later, or removes it from Saved (Slack's key): it presses the
 *   row's own button (`data-shortcut="save"`, later-actions.tsx), so the same call runs and focus
 *   stays on the message. Letter keys act only on a focused row, never while typing.
 *
 * The list keeps which row holds the tab stop (`rowKeyOf` of the focused article) in its own state,
 * so a re-render cannot take it away; a row that is not rendered any more hands it to the newest.
 */
import { type FocusEvent, type KeyboardEvent, useCallback, useState } from "react";

/** The key of the row an element belongs to: its message id, or `pending:<clientMsgId>`. */
export function rowKeyOf(el: Element | null): string | null {
  const article = el?.closest<HTMLElement>("article.msg");
  if (!article) return null;
  const id = article.dataset.messageId;
  if (id) return id;
  const clientMsgId = article.dataset.clientMsgId;
  return clientMsgId ? `pending:${clientMsgId}` : null;
}

/** Where a feed key moves focus from row `from` of `count` rows: a row index, or null to stay. */
export function feedStep(key: string, from: number, count: number): number | null {
  if (count === 0) return null;
  switch (key) {
    case "ArrowDown":
    case "PageDown":
      return from + 1 < count ? from + 1 : null;
    case "ArrowUp":
    case "PageUp":
      return from > 0 ? from - 1 : null;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

const FEED_KEYS = new Set(["ArrowDown", "ArrowUp", "PageDown", "PageUp", "Home", "End"]);

/** Focusable buttons of a row's toolbar, in order. */
function toolbarButtons(toolbar: Element): HTMLElement[] {
  return [...toolbar.querySelectorAll<HTMLElement>("button:not([disabled])")].filter(
    (b) => !b.closest(".reaction-picker, [role=menu]"),
  );
}

/**
 * The roving tab stop of a feed with rows `keys` (oldest first) and its key handler. Put
 * `onKeyDown`/`onFocus` on an element around the feed and `tabIndexOf(key)` on each article.
 */
export function useRovingFeed(keys: readonly string[], options: { onTop?: () => void } = {}) {
  const [active, setActive] = useState<string | null>(null);
  const current = active !== null && keys.includes(active) ? active : (keys.at(-1) ?? null);
  const { onTop } = options;

  const onFocus = useCallback((e: FocusEvent<HTMLElement>) => {
    const key = rowKeyOf(e.target);
    if (key) setActive(key);
  }, []);

  const onKeyDown = useCallback(
    (e: KeyboardEvent<HTMLElement>) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      const target = e.target as HTMLElement;
      const article = target.closest<HTMLElement>("article.msg");
      // A dialog opened from a row (an image's lightbox) owns its keys: Escape must close it natively.
      if (!article || target.closest("dialog, [role=dialog]")) return;
      if (target === article) {
        if (e.key === "Enter") {
          const toolbar = article.querySelector(".msg-actions");
          const first = toolbar ? toolbarButtons(toolbar)[0] : undefined;
          if (first) {
            e.preventDefault();
            first.focus();
          }
          return;
        }
        if (e.key === "a" || e.key === "A") {
          const save = article.querySelector<HTMLButtonElement>(
            '.msg-actions [data-shortcut="save"]:not([disabled])',
          );
          if (save) {
            e.preventDefault();
            save.click();
          }
          return;
        }
        if (!FEED_KEYS.has(e.key)) return;
        const rows = [...e.currentTarget.querySelectorAll<HTMLElement>("article.msg")];
        const to = feedStep(e.key, rows.indexOf(article), rows.length);
        e.preventDefault();
        if (to === null) {
          if ((e.key === "ArrowUp" || e.key === "PageUp") && onTop) onTop();
          return;
        }
        rows[to]?.focus();
        return;
      }
      // Inside a row: ←/→ along its toolbar, Escape back to the row.
      const toolbar = target.closest(".msg-actions");
      if (
        toolbar &&
        (e.key === "ArrowLeft" || e.key === "ArrowRight") &&
        !target.closest(".reaction-picker")
      ) {
        const buttons = toolbarButtons(toolbar);
        const at = buttons.indexOf(target);
        if (at < 0) return;
        e.preventDefault();
        const step = e.key === "ArrowRight" ? 1 : -1;
        buttons[(at + step + buttons.length) % buttons.length]?.focus();
        return;
      }
      if (e.key === "Escape" && !/^(INPUT|TEXTAREA)$/.test(target.tagName)) {
        e.preventDefault();
        article.focus();
      }
    },
    [onTop],
  );

  return {
    onFocus,
    onKeyDown,
    /** 0 for the row holding the tab stop, -1 for the rest. */
    tabIndexOf: (key: string) => (key === current ? 0 : -1),
  };
}

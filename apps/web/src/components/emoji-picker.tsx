"use client";

/**
 * The emoji picker: a dialog with a search box, a row of category buttons and every emoji in a
 * scrollable grid, grouped by category. Keyboard: type to search, ↓ (or Tab) into the grid, arrow
 * keys move between emoji, Enter picks, Escape closes; the search box's Enter picks the first
 * result. The parent places it (it is `position: absolute` inside whatever positioned box holds
 * it) and decides what a pick does: the composer inserts at the cursor, a message adds a reaction.
 */
import { useTranslations } from "next-intl";
import { type KeyboardEvent, type RefObject, useEffect, useId, useMemo, useRef, useState } from "react";
import { loadEmojiIndex, searchAllEmoji, type TEmoji, type TEmojiIndex } from "~/lib/emoji";
import { useWorkspaceExtras } from "~/lib/workspace-extras";
import { CustomEmojiImage } from "./emoji-glyph";
import "~/styles/composer.css";

/** The emoji index once loaded (null until then, or if it could not load). */
export function useEmojiIndex(isEnabled = true): TEmojiIndex | null {
  const [index, setIndex] = useState<TEmojiIndex | null>(null);
  useEffect(() => {
    if (!isEnabled) return;
    let isLive = true;
    loadEmojiIndex().then(
      (i) => {
        if (isLive) setIndex(i);
      },
      () => {}, // the picker shows "could not load"; the composer simply offers no emoji
    );
    return () => {
      isLive = false;
    };
  }, [isEnabled]);
  return index;
}

const SEARCH_LIMIT = 120;

/** The picture on each category's button (Slack's choices); a category not listed shows its first emoji. */
const GROUP_ICONS: Record<string, string> = {
  custom: "⭐",
  "smileys-emotion": "😀",
  "people-body": "👋",
  "animals-nature": "🐻",
  "food-drink": "🍔",
  "travel-places": "✈️",
  activities: "⚽",
  objects: "💡",
  symbols: "🔣",
  flags: "🏁",
};

/** The emoji button nearest `from` in the row above or below it (by position, across categories). */
function verticalNeighbour(buttons: HTMLElement[], from: number, direction: 1 | -1): number {
  const here = buttons[from]?.getBoundingClientRect();
  if (!here) return from;
  let best = from;
  let bestRowTop: number | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  // The next row starts within the next two rows' worth of buttons; 24 covers any width we draw.
  for (let i = from + direction; i >= 0 && i < buttons.length && Math.abs(i - from) <= 24; i += direction) {
    const rect = buttons[i]?.getBoundingClientRect();
    if (!rect) continue;
    const isOtherRow = direction === 1 ? rect.top > here.top + 1 : rect.top < here.top - 1;
    if (!isOtherRow) continue;
    if (bestRowTop === null) bestRowTop = rect.top;
    if (Math.abs(rect.top - bestRowTop) > 1) break;
    const distance = Math.abs(rect.left - here.left);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}

/** The emoji picker dialog (see the file header). `onPick` gets the emoji's characters. */
export function EmojiPicker({
  onPick,
  onClose,
  anchor,
}: {
  onPick: (emoji: string, info: TEmoji) => void;
  onClose: () => void;
  /** The button that opened the picker: pressing it does not count as a click outside. */
  anchor?: RefObject<HTMLElement | null>;
}) {
  const t = useTranslations("EmojiPicker");
  const index = useEmojiIndex();
  const custom = useWorkspaceExtras().emojiEntries;
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const [failed, setFailed] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const grid = useRef<HTMLDivElement>(null);
  const baseId = useId();

  useEffect(() => {
    // Tell apart "still loading" from "could not load".
    let isLive = true;
    loadEmojiIndex().catch(() => {
      if (isLive) setFailed(true);
    });
    return () => {
      isLive = false;
    };
  }, []);

  // A press anywhere outside closes the picker.
  useEffect(() => {
    const onDown = (e: MouseEvent) => {
      const target = e.target as Node | null;
      if (!target || root.current?.contains(target) || anchor?.current?.contains(target)) return;
      onClose();
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [onClose, anchor]);

  const sections = useMemo(() => {
    if (!index) return [];
    if (query.trim()) {
      return [
        {
          key: "results",
          label: t("results"),
          emojis: searchAllEmoji(index, custom, query, SEARCH_LIMIT),
        },
      ];
    }
    // The workspace's own emoji come first, as in Slack.
    return custom.length > 0
      ? [{ key: "custom", label: t("custom"), emojis: [...custom] }, ...index.groups]
      : index.groups;
  }, [index, query, custom, t]);
  const flat = useMemo(() => sections.flatMap((s) => s.emojis), [sections]);
  const activeIndex = Math.min(active, Math.max(0, flat.length - 1));

  function buttons(): HTMLElement[] {
    return Array.from(grid.current?.querySelectorAll<HTMLElement>("button[data-emoji-index]") ?? []);
  }

  function focusEmoji(i: number) {
    const list = buttons();
    const next = Math.max(0, Math.min(i, list.length - 1));
    setActive(next);
    list[next]?.focus();
    list[next]?.scrollIntoView({ block: "nearest" });
  }

  function pick(e: TEmoji) {
    onPick(e.emoji, e);
  }

  function onGridKey(e: KeyboardEvent<HTMLDivElement>) {
    const list = buttons();
    const from = list.indexOf(document.activeElement as HTMLElement);
    if (from < 0) return;
    let to: number;
    switch (e.key) {
      case "ArrowRight":
        to = from + 1;
        break;
      case "ArrowLeft":
        to = from - 1;
        break;
      case "ArrowDown":
        to = verticalNeighbour(list, from, 1);
        break;
      case "ArrowUp":
        to = verticalNeighbour(list, from, -1);
        break;
      case "Home":
        to = 0;
        break;
      case "End":
        to = list.length - 1;
        break;
      default:
        return;
    }
    e.preventDefault();
    if (e.key === "ArrowUp" && to === from) {
      root.current?.querySelector<HTMLInputElement>("input[type=search]")?.focus();
      return;
    }
    focusEmoji(to);
  }

  function onSearchKey(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      focusEmoji(0);
    } else if (e.key === "Enter") {
      e.preventDefault();
      const first = flat[0];
      if (first && query.trim()) pick(first);
    }
  }

  let offset = 0;
  return (
    <div
      ref={root}
      className="emoji-picker"
      role="dialog"
      aria-label={t("dialog")}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <input
        type="search"
        aria-label={t("search")}
        placeholder={t("search")}
        // biome-ignore lint/a11y/noAutofocus: the picker was just opened to find an emoji
        autoFocus
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={onSearchKey}
      />
      {!query.trim() && index ? (
        <nav className="emoji-categories" aria-label={t("categories")}>
          {sections.map((g) => (
            <button
              key={g.key}
              type="button"
              className="quiet"
              aria-label={g.label}
              title={g.label}
              onClick={() => {
                document.getElementById(`${baseId}-${g.key}`)?.scrollIntoView({ block: "start" });
              }}
            >
              <span aria-hidden="true">{GROUP_ICONS[g.key] ?? g.emojis[0]?.emoji}</span>
            </button>
          ))}
        </nav>
      ) : null}
      {/* biome-ignore lint/a11y/noStaticElementInteractions: arrow keys move focus between the emoji buttons inside */}
      <div className="emoji-grid" ref={grid} onKeyDown={onGridKey}>
        {!index ? (
          <p className="muted">{failed ? t("failed") : t("loading")}</p>
        ) : flat.length === 0 ? (
          <p className="muted">{t("none", { query: query.trim() })}</p>
        ) : (
          sections.map((section) => {
            const start = offset;
            offset += section.emojis.length;
            const headingId = `${baseId}-${section.key}`;
            return (
              <section key={section.key} aria-labelledby={headingId}>
                <h3 id={headingId}>{section.label}</h3>
                <div className="emoji-cells">
                  {section.emojis.map((e, i) => (
                    <button
                      key={e.emoji}
                      type="button"
                      data-emoji-index={start + i}
                      tabIndex={start + i === activeIndex ? 0 : -1}
                      aria-label={e.name}
                      title={`:${e.shortcodes[0] ?? e.name}:`}
                      onClick={() => pick(e)}
                    >
                      {e.imageUrl ? <CustomEmojiImage src={e.imageUrl} alt="" /> : e.emoji}
                    </button>
                  ))}
                </div>
              </section>
            );
          })
        )}
      </div>
    </div>
  );
}

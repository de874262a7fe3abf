"use client";

import { useTranslations } from "next-intl";
import { useEffect, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { EmojiPicker } from "./emoji-picker";

/** The full picker's size (styles/chrome.css `.emoji-popover`), to place it inside the window. */
const POPOVER_W = 368;
const POPOVER_H = 352;

/**
 * Where the full picker opens for a quick picker at `anchor`: below it, right-aligned, or above
 * it when there is no room below; always inside the window (a fixed popover, so the message
 * list's scrolling box cannot clip it).
 */
export function popoverPosition(
  anchor: { left: number; right: number; top: number; bottom: number },
  viewport: { width: number; height: number },
): { left: number; top: number } {
  const left = Math.max(8, Math.min(anchor.right - POPOVER_W, viewport.width - POPOVER_W - 8));
  const below = anchor.bottom + 4;
  const top = below + POPOVER_H <= viewport.height - 8 ? below : Math.max(8, anchor.top - POPOVER_H - 4);
  return { left, top };
}

/** The reactions one click away on every message's hover bar. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂"] as const;

/** The common reactions offered at once; "More emoji" opens the full picker. */
export const COMMON_EMOJI = [
  "👍",
  "👎",
  "❤️",
  "😂",
  "🎉",
  "👀",
  "🙏",
  "🔥",
  "✅",
  "❌",
  "😄",
  "😮",
  "😢",
  "😡",
  "🤔",
  "👏",
  "💯",
  "🚀",
  "🙌",
  "👌",
  "😅",
  "🤝",
  "⭐",
  "☕",
] as const;

/** `{ onPick, onClose }`: the same contract as the composer's EmojiPicker. Escape closes. */
export function ReactionPicker({
  onPick,
  onClose,
}: {
  onPick: (emoji: string) => void;
  onClose: () => void;
}) {
  const t = useTranslations("Message");
  const ref = useRef<HTMLFieldSetElement>(null);
  const popover = useRef<HTMLDivElement>(null);
  const [fullAt, setFullAt] = useState<{ left: number; top: number } | null>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    ref.current?.querySelector("button")?.focus();
    const onDown = (e: MouseEvent) => {
      const target = e.target as Node;
      if (ref.current?.contains(target) || popover.current?.contains(target)) return;
      close.current();
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, []);
  return (
    <fieldset
      ref={ref}
      className="reaction-picker"
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <legend className="visually-hidden">{t("pickReaction")}</legend>
      {COMMON_EMOJI.map((emoji) => (
        <button
          key={emoji}
          type="button"
          className="quiet"
          aria-label={t("reactWith", { emoji })}
          onClick={() => onPick(emoji)}
        >
          {emoji}
        </button>
      ))}
      <button
        type="button"
        className="quiet more-emoji"
        aria-label={t("moreEmoji")}
        title={t("moreEmoji")}
        aria-haspopup="dialog"
        aria-expanded={fullAt !== null}
        onClick={() => {
          const rect = ref.current?.getBoundingClientRect();
          if (!rect) return;
          setFullAt(popoverPosition(rect, { width: window.innerWidth, height: window.innerHeight }));
        }}
      >
        …
      </button>
      {fullAt
        ? createPortal(
            <div ref={popover} className="emoji-popover" style={{ left: fullAt.left, top: fullAt.top }}>
              <EmojiPicker anchor={ref} onPick={(emoji) => onPick(emoji)} onClose={onClose} />
            </div>,
            document.body,
          )
        : null}
    </fieldset>
  );
}

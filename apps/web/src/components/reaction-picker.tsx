"use client";

import { useEffect, useRef } from "react";

/** A small set of common reactions until the full emoji picker lands (same props, so it swaps in). */
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
  const ref = useRef<HTMLFieldSetElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    ref.current?.querySelector("button")?.focus();
    const onDown = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) close.current();
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
      <legend className="visually-hidden">Pick a reaction</legend>
      {COMMON_EMOJI.map((emoji) => (
        <button
          key={emoji}
          type="button"
          className="quiet"
          aria-label={`React with ${emoji}`}
          onClick={() => onPick(emoji)}
        >
          {emoji}
        </button>
      ))}
    </fieldset>
  );
}

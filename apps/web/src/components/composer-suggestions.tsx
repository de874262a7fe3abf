"use client";

/** The composer's open suggestion list: members to mention after "@", emoji after ":". */
import type { TEmoji } from "~/lib/emoji";
import type { TMentionOption } from "~/lib/mentions";
import { Autocomplete } from "./autocomplete";
import { Avatar } from "./avatar";
import { CustomEmojiImage } from "./emoji-glyph";

/** The suggestions for the trigger at `start` (`key` changes whenever the query does). */
export type TSuggestions =
  | { kind: "mention"; start: number; key: string; options: TMentionOption[] }
  | { kind: "emoji"; start: number; key: string; options: TEmoji[] };

/** The list for `suggestions` (the textarea keeps focus; see the composer's header). */
export function ComposerSuggestions({
  suggestions,
  listId,
  activeIndex,
  onHover,
  onPick,
}: {
  suggestions: TSuggestions;
  listId: string;
  activeIndex: number;
  onHover: (index: number) => void;
  /** The index of the picked option. */
  onPick: (index: number) => void;
}) {
  return suggestions.kind === "mention" ? (
    <Autocomplete
      id={listId}
      label="Mention someone"
      options={suggestions.options}
      activeIndex={activeIndex}
      getKey={(o) => (o.kind === "user" ? o.userId : o.name)}
      onHover={onHover}
      onPick={(o) => onPick(suggestions.options.indexOf(o))}
      renderOption={(o) =>
        o.kind === "user" ? (
          <>
            <Avatar
              userId={o.userId}
              avatarId={o.avatarId}
              name={o.name}
              size="sm"
              className="option-avatar"
            />
            <span className="option-name">{o.name}</span>
          </>
        ) : (
          <>
            <span className="option-avatar" aria-hidden="true">
              @
            </span>
            <span className="option-name">@{o.name}</span>
            <span className="option-detail">{o.description}</span>
          </>
        )
      }
    />
  ) : (
    <Autocomplete
      id={listId}
      label="Emoji"
      options={suggestions.options}
      activeIndex={activeIndex}
      getKey={(o) => o.emoji}
      onHover={onHover}
      onPick={(o) => onPick(suggestions.options.indexOf(o))}
      renderOption={(o) => (
        <>
          <span className="option-emoji" aria-hidden="true">
            {o.imageUrl ? <CustomEmojiImage src={o.imageUrl} alt="" /> : o.emoji}
          </span>
          <span className="option-name">:{o.shortcodes[0]}:</span>
          <span className="visually-hidden"> {o.name}</span>
        </>
      )}
    />
  );
}

"use client";

/** The composer's open suggestion list: members to mention after "@", emoji after ":". */
import { useTranslations } from "next-intl";
import { emojiTrigger, searchAllEmoji, type TEmoji, type TEmojiIndex } from "~/lib/emoji";
import {
  mentionOptions,
  mentionTrigger,
  type TMentionable,
  type TMentionableGroup,
  type TMentionOption,
} from "~/lib/mentions";
import { Autocomplete } from "./autocomplete";
import { Avatar } from "./avatar";
import { CustomEmojiImage } from "./emoji-glyph";

/** The suggestions for the trigger at `start` (`key` changes whenever the query does). */
export type TSuggestions =
  | { kind: "mention"; start: number; key: string; options: TMentionOption[] }
  | { kind: "emoji"; start: number; key: string; options: TEmoji[] };

const MENTION_SUGGESTIONS = 8;
const EMOJI_SUGGESTIONS = 8;

/**
 * What the text before the caret asks to complete: members after "@" (when `members` is given),
 * else emoji after ":" (once the index is loaded); null when nothing matches or the trigger at
 * `dismissedAt` was dismissed (Escape).
 */
export function findSuggestions(input: {
  text: string;
  caret: number;
  dismissedAt: number | null;
  members: readonly TMentionable[] | undefined;
  meId: string;
  groups: readonly TMentionableGroup[];
  emojiIndex: TEmojiIndex | null;
  emojiEntries: readonly TEmoji[];
}): TSuggestions | null {
  const { text, caret, dismissedAt, members, emojiIndex } = input;
  const mention = members ? mentionTrigger(text, caret) : null;
  if (mention && mention.start !== dismissedAt) {
    const options = mentionOptions(
      mention.query,
      members ?? [],
      input.meId,
      MENTION_SUGGESTIONS,
      input.groups,
    );
    if (options.length > 0) {
      return { kind: "mention", start: mention.start, key: `@${mention.start}:${mention.query}`, options };
    }
  }
  const shortcode = emojiIndex ? emojiTrigger(text, caret) : null;
  if (shortcode && emojiIndex && shortcode.start !== dismissedAt) {
    const options = searchAllEmoji(emojiIndex, input.emojiEntries, shortcode.query, EMOJI_SUGGESTIONS);
    if (options.length > 0) {
      return {
        kind: "emoji",
        start: shortcode.start,
        key: `:${shortcode.start}:${shortcode.query}`,
        options,
      };
    }
  }
  return null;
}

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
  const t = useTranslations("Composer");
  return suggestions.kind === "mention" ? (
    <Autocomplete
      id={listId}
      label={t("mentionList")}
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
            <span className="option-detail">
              {o.kind === "broadcast" ? t(`broadcast.${o.name}`) : o.description}
            </span>
          </>
        )
      }
    />
  ) : (
    <Autocomplete
      id={listId}
      label={t("emojiList")}
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

"use client";

/**
 * The search dialog's chips: the scope ("In #channel", "In this thread": where search was opened)
 * and filters that toggle a token of the query language in the query text (core/src/search/
 * query.ts), so what a chip does stays visible and editable as text.
 */

import { useTranslations } from "next-intl";

/** Where search was opened: the open conversation, and the open thread if any. */
export type TSearchScope = { conversationId: string; label: string; threadRootId: string | null };
export type TScopeLevel = "all" | "conversation" | "thread";

export const FILTER_CHIPS = [
  { token: "from:me", label: "fromMe" },
  { token: "mentions:me", label: "mentionsMe" },
  { token: "has:file", label: "files" },
  { token: "has:image", label: "images" },
  { token: "has:voice", label: "voice" },
  { token: "has:link", label: "links" },
  { token: "is:thread", label: "threads" },
  { token: "is:pinned", label: "pinned" },
] as const;

/** Whether `query` holds `token` as a whole word (case-insensitive). */
export function hasToken(query: string, token: string): boolean {
  return query.split(/\s+/).some((t) => t.toLowerCase() === token.toLowerCase());
}

/** `query` with `token` removed if present, else appended; spaces tidied. */
export function toggleToken(query: string, token: string): string {
  const words = query.split(/\s+/).filter((t) => t !== "");
  const kept = words.filter((t) => t.toLowerCase() !== token.toLowerCase());
  return (kept.length < words.length ? kept : [...kept, token]).join(" ");
}

export function SearchChips({
  draft,
  onDraft,
  scope,
  level,
  onLevel,
}: {
  draft: string;
  onDraft: (next: string) => void;
  scope: TSearchScope | null;
  level: TScopeLevel;
  onLevel: (next: TScopeLevel) => void;
}) {
  const t = useTranslations("Search");
  return (
    <fieldset className="search-chips">
      <legend className="visually-hidden">{t("filters")}</legend>
      {scope ? (
        <button
          type="button"
          className="chip scope"
          aria-pressed={level === "conversation"}
          onClick={() => onLevel(level === "conversation" ? "all" : "conversation")}
        >
          {t("inScope", { label: scope.label })}
        </button>
      ) : null}
      {scope?.threadRootId ? (
        <button
          type="button"
          className="chip scope"
          aria-pressed={level === "thread"}
          onClick={() => onLevel(level === "thread" ? "all" : "thread")}
        >
          {t("inThisThread")}
        </button>
      ) : null}
      {FILTER_CHIPS.map((chip) => (
        <button
          key={chip.token}
          type="button"
          className="chip"
          aria-pressed={hasToken(draft, chip.token)}
          title={chip.token}
          onClick={() => onDraft(toggleToken(draft, chip.token))}
        >
          {t(`chips.${chip.label}`)}
        </button>
      ))}
    </fieldset>
  );
}

"use client";

/**
 * The search dialog's chips: the scope ("In #channel", "In this thread": where search was opened)
 * and filters that toggle a token of the query language in the query text (core/src/search/
 * query.ts), so what a chip does stays visible and editable as text.
 */

/** Where search was opened: the open conversation, and the open thread if any. */
export type TSearchScope = { conversationId: string; label: string; threadRootId: string | null };
export type TScopeLevel = "all" | "conversation" | "thread";

export const FILTER_CHIPS = [
  { token: "from:me", label: "From me" },
  { token: "mentions:me", label: "Mentions me" },
  { token: "has:file", label: "Files" },
  { token: "has:image", label: "Images" },
  { token: "has:voice", label: "Voice" },
  { token: "has:link", label: "Links" },
  { token: "is:thread", label: "Threads" },
  { token: "is:pinned", label: "Pinned" },
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
  return (
    <fieldset className="search-chips">
      <legend className="visually-hidden">Filters</legend>
      {scope ? (
        <button
          type="button"
          className="chip scope"
          aria-pressed={level === "conversation"}
          onClick={() => onLevel(level === "conversation" ? "all" : "conversation")}
        >
          In {scope.label}
        </button>
      ) : null}
      {scope?.threadRootId ? (
        <button
          type="button"
          className="chip scope"
          aria-pressed={level === "thread"}
          onClick={() => onLevel(level === "thread" ? "all" : "thread")}
        >
          In this thread
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
          {chip.label}
        </button>
      ))}
    </fieldset>
  );
}

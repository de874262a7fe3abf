"use client";

/**
 * The search dialog's message results: grouped by conversation (the conversation's name as the
 * group's heading, lib/search-groups.ts), each hit with its sender, time, "in a thread" and the
 * snippet with the matches marked. A listbox of groups of options (the ARIA grouped-listbox
 * pattern); the dialog's input keeps the focus and points at the active option.
 */
import { useTranslations } from "next-intl";
import type { ReactNode, RefObject } from "react";
import { useFormats } from "~/i18n/format";
import { conversationHeading, type THitGroup } from "~/lib/search-groups";
import type { TRouterOutputs } from "~/trpc/types";

export type THit = TRouterOutputs["search"]["messages"]["hits"][number];

/** The server marks matches with U+0002 … U+0003; shown as <mark>, everything else as text. */
export function snippetParts(snippet: string): ReactNode[] {
  const parts: ReactNode[] = [];
  let k = 0;
  for (const [i, piece] of snippet.split("\u0002").entries()) {
    if (i === 0) {
      if (piece) parts.push(piece);
      continue;
    }
    const end = piece.indexOf("\u0003");
    const marked = end < 0 ? piece : piece.slice(0, end);
    parts.push(<mark key={k++}>{marked}</mark>);
    if (end >= 0 && end + 1 < piece.length) parts.push(piece.slice(end + 1));
  }
  return parts;
}

/**
 * Where a result opens: a reply in its thread (`reply=` highlights it there), any other message at
 * its place in the channel (`m=` scrolls to and highlights it).
 */
export function hitHref(hit: Pick<THit, "conversationId" | "seq" | "threadRootId">): string {
  return hit.threadRootId
    ? `/app/c/${hit.conversationId}?thread=${hit.threadRootId}&reply=${hit.seq}`
    : `/app/c/${hit.conversationId}?m=${hit.seq}`;
}

export function SearchResults({
  listId,
  groups,
  dmNames,
  activeId,
  onHover,
  onOpen,
  more,
}: {
  listId: string;
  groups: readonly THitGroup<THit>[];
  /** DM and group DM names by conversation id (the conversation list's). */
  dmNames: ReadonlyMap<string, string>;
  /** The active hit's message id. */
  activeId: string | null;
  onHover: (hit: THit) => void;
  onOpen: (hit: THit) => void;
  /** The "More results" button, when another page exists. */
  more: { ref: RefObject<HTMLButtonElement | null>; isLoading: boolean; load: () => void } | null;
}) {
  const t = useTranslations("Search");
  const shell = useTranslations("AppShell");
  const fmt = useFormats();
  return (
    <div className="switcher-results" id={listId} role="listbox" aria-label={t("found")}>
      {groups.map((group) => {
        const first = group.hits[0];
        if (!first) return null;
        const headId = `${listId}-g-${group.conversationId}`;
        return (
          // biome-ignore lint/a11y/useSemanticElements: a group of options inside a listbox (ARIA's grouped listbox), not a form's fieldset
          <div key={group.conversationId} role="group" aria-labelledby={headId} className="hit-group">
            <div role="presentation" id={headId} className="hit-group-head">
              {conversationHeading(first, dmNames, shell("directMessage"))}
            </div>
            {group.hits.map((hit) => (
              // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox handles the keyboard
              <div
                key={hit.messageId}
                id={`${listId}-${hit.messageId}`}
                role="option"
                tabIndex={-1}
                aria-selected={hit.messageId === activeId}
                className="option hit"
                onMouseMove={() => onHover(hit)}
                onClick={() => onOpen(hit)}
              >
                <span className="hit-head">
                  <span className="hit-who">{hit.senderName}</span>
                  <time className="muted" dateTime={new Date(hit.createdAt).toISOString()}>
                    {fmt.date(hit.createdAt)}
                  </time>
                  {hit.threadRootId ? <span className="muted">{t("inThread")}</span> : null}
                </span>
                <span className="hit-text">{snippetParts(hit.snippet)}</span>
              </div>
            ))}
          </div>
        );
      })}
      {more ? (
        <button
          ref={more.ref}
          type="button"
          className="quiet more"
          disabled={more.isLoading}
          onClick={more.load}
        >
          {more.isLoading ? t("loading") : t("more")}
        </button>
      ) : null}
    </div>
  );
}

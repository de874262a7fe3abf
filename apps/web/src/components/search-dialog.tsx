"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { useErrorText } from "~/i18n/server-errors";
import { groupByConversation, shownOrder } from "~/lib/search-groups";
import { usePicker } from "~/lib/use-picker";
import { useTRPC } from "~/trpc/react";
import { SearchChips, type TScopeLevel, type TSearchScope } from "./search-chips";
import { SearchNames } from "./search-names";
import { hitHref, SearchResults, type THit } from "./search-results";

const EXAMPLES = 'words, "a phrase", -word, in:#channel, from:@name, has:file, is:thread, after:2026-12-01';

const NO_NAMES: ReadonlyMap<string, string> = new Map();

/**
 * Ctrl/Cmd+F inside the app (or the header's search box): search messages; ↑/↓ to pick, Enter to
 * open, Esc to close. Opened from a conversation (`scope`), it searches inside it (or its open
 * thread) until its chip is turned off; results are grouped by conversation (search-results.tsx);
 * more load as the list scrolls to its end.
 */
export function SearchDialog({
  onClose,
  initialQuery = "",
  scope = null,
  dmNames = NO_NAMES,
}: {
  onClose: () => void;
  initialQuery?: string;
  scope?: TSearchScope | null;
  /** DM and group DM names by conversation id, for the group headings. */
  dmNames?: ReadonlyMap<string, string>;
}) {
  const t = useTranslations("Search");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const router = useRouter();
  const [draft, setDraft] = useState(initialQuery);
  const [query, setQuery] = useState(initialQuery.trim());
  const [sort, setSort] = useState<"relevance" | "date">("relevance");
  const [level, setLevel] = useState<TScopeLevel>(
    scope?.threadRootId ? "thread" : scope ? "conversation" : "all",
  );
  const [active, setActive] = useState(0);
  const listId = useId();
  const more = useRef<HTMLButtonElement>(null);
  const box = useRef<HTMLInputElement>(null);
  // Search as you type, after a short pause.
  useEffect(() => {
    const timer = setTimeout(() => {
      setQuery(draft.trim());
      setActive(0);
    }, 250);
    return () => clearTimeout(timer);
  }, [draft]);

  const results = useInfiniteQuery(
    trpc.search.messages.infiniteQueryOptions(
      {
        query,
        sort,
        limit: 20,
        ...(scope && level !== "all" ? { conversationId: scope.conversationId } : {}),
        ...(scope?.threadRootId && level === "thread" ? { threadRootId: scope.threadRootId } : {}),
      },
      {
        enabled: query !== "",
        getNextPageParam: (last) => last.nextCursor ?? undefined,
        retry: false,
        staleTime: 10_000,
      },
    ),
  );
  // Grouped by conversation; ↑/↓ and `active` follow the order shown.
  const groups = useMemo(
    () => groupByConversation(results.data?.pages.flatMap((p) => p.hits) ?? []),
    [results.data],
  );
  const hits = useMemo(() => shownOrder(groups), [groups]);
  const current = hits[Math.min(active, hits.length - 1)];
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = results;

  // Infinite paging: the "More results" button loads the next page once it scrolls into view.
  useEffect(() => {
    const button = more.current;
    if (!button || !hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    observer.observe(button);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const picker = usePicker({
    onClose,
    activeId: current ? `${listId}-${current.messageId}` : null,
    count: hits.length,
    setActive,
    // Enter searches at once when the text changed since the last search, else opens the result.
    onPick: () => (draft.trim() !== query ? setQuery(draft.trim()) : open(current)),
  });

  function open(hit: THit | undefined) {
    if (!hit) return;
    picker.leave();
    onClose();
    router.push(hitHref(hit));
  }

  const error = errorText(results.error) ?? null;
  return (
    <div className="modal-backdrop">
      <div
        className="switcher search"
        ref={picker.dialog}
        role="dialog"
        aria-modal="true"
        aria-label={t("dialog")}
      >
        <input
          ref={box}
          type="search"
          role="combobox"
          aria-label={t("dialog")}
          aria-expanded="true"
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={current ? `${listId}-${current.messageId}` : undefined}
          placeholder={t("placeholder")}
          // biome-ignore lint/a11y/noAutofocus: the dialog exists to be typed into
          autoFocus
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={picker.onKeyDown}
        />
        {/* A chip hands focus back to the box: typing, ↑/↓, Enter and Esc go on working. */}
        <SearchChips
          draft={draft}
          onDraft={(next) => {
            setDraft(next);
            box.current?.focus();
          }}
          scope={scope}
          level={level}
          onLevel={(next) => {
            setLevel(next);
            setActive(0);
            box.current?.focus();
          }}
        />
        <div className="search-sort" role="radiogroup" aria-label={t("order")}>
          {(["relevance", "date"] as const).map((s) => (
            <label key={s}>
              <input type="radio" name={`${listId}-sort`} checked={sort === s} onChange={() => setSort(s)} />
              {s === "relevance" ? t("relevance") : t("newest")}
            </label>
          ))}
        </div>
        <SearchNames
          query={query}
          onOpen={() => {
            picker.leave();
            onClose();
          }}
        />
        <SearchResults
          listId={listId}
          groups={groups}
          dmNames={dmNames}
          activeId={current?.messageId ?? null}
          onHover={(hit) => setActive(hits.indexOf(hit))}
          onOpen={open}
          more={
            hasNextPage
              ? { ref: more, isLoading: isFetchingNextPage, load: () => void fetchNextPage() }
              : null
          }
        />
        {error ? (
          <p className="error empty" role="alert">
            {error}
          </p>
        ) : query !== "" && results.isSuccess && hits.length === 0 ? (
          <p className="muted empty">{t("none", { query })}</p>
        ) : null}
        <p className="hint">{t("hint", { examples: EXAMPLES })}</p>
      </div>
    </div>
  );
}

"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { usePicker } from "~/lib/use-picker";
import { useTRPC } from "~/trpc/react";
import type { TRouterOutputs } from "~/trpc/types";
import { SearchChips, type TScopeLevel, type TSearchScope } from "./search-chips";
import { SearchNames } from "./search-names";

type THit = TRouterOutputs["search"]["messages"]["hits"][number];

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

function where(hit: THit): string {
  if (hit.conversationKind === "public_channel") return `# ${hit.conversationName ?? ""}`;
  if (hit.conversationKind === "private_channel") return `🔒 ${hit.conversationName ?? ""}`;
  return "Direct message";
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

const EXAMPLES = 'words, "a phrase", -word, in:#channel, from:@name, has:file, is:thread, after:2026-12-01';

/**
 * Ctrl/Cmd+F inside the app: search messages; ↑/↓ to pick, Enter to open, Esc to close. Opened
 * from a conversation (`scope`), it searches inside it until its chip is turned off; more results
 * load as the list scrolls to its end.
 */
export function SearchDialog({
  onClose,
  initialQuery = "",
  scope = null,
}: {
  onClose: () => void;
  initialQuery?: string;
  scope?: TSearchScope | null;
}) {
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
  const hits = results.data?.pages.flatMap((p) => p.hits) ?? [];
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

  const error = results.error?.message ?? null;
  return (
    <div className="modal-backdrop">
      <div
        className="switcher search"
        ref={picker.dialog}
        role="dialog"
        aria-modal="true"
        aria-label="Search messages"
      >
        <input
          ref={box}
          type="search"
          role="combobox"
          aria-label="Search messages"
          aria-expanded="true"
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={current ? `${listId}-${current.messageId}` : undefined}
          placeholder="Search messages…"
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
        <div className="search-sort" role="radiogroup" aria-label="Order">
          {(["relevance", "date"] as const).map((s) => (
            <label key={s}>
              <input type="radio" name={`${listId}-sort`} checked={sort === s} onChange={() => setSort(s)} />
              {s === "relevance" ? "Most relevant" : "Newest"}
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
        <div className="switcher-results" id={listId} role="listbox" aria-label="Messages found">
          {hits.map((hit, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the combobox handles the keyboard
            <div
              key={hit.messageId}
              id={`${listId}-${hit.messageId}`}
              role="option"
              tabIndex={-1}
              aria-selected={hit.messageId === current?.messageId}
              className="option hit"
              onMouseMove={() => setActive(i)}
              onClick={() => open(hit)}
            >
              <span className="hit-head">
                <span className="hit-where">{where(hit)}</span>
                <span className="hit-who">{hit.senderName}</span>
                <time className="muted" dateTime={new Date(hit.createdAt).toISOString()}>
                  {new Date(hit.createdAt).toLocaleString()}
                </time>
                {hit.threadRootId ? <span className="muted">in a thread</span> : null}
              </span>
              <span className="hit-text">{snippetParts(hit.snippet)}</span>
            </div>
          ))}
          {results.hasNextPage ? (
            <button
              ref={more}
              type="button"
              className="quiet more"
              disabled={results.isFetchingNextPage}
              onClick={() => void results.fetchNextPage()}
            >
              {results.isFetchingNextPage ? "Loading…" : "More results"}
            </button>
          ) : null}
        </div>
        {error ? (
          <p className="error empty" role="alert">
            {error}
          </p>
        ) : query !== "" && results.isSuccess && hits.length === 0 ? (
          <p className="muted empty">No messages match “{query}”.</p>
        ) : null}
        <p className="hint">{EXAMPLES} · Enter to open · Esc to close</p>
      </div>
    </div>
  );
}

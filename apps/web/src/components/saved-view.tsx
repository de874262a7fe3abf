"use client";

/**
 * The Saved view (/app/saved, Slack's "Later"): two tabs. "Saved" lists the reader's saved
 * messages, newest save first, a page at a time, each with its conversation, sender, time and
 * current text; a click opens the conversation at the message (`?m=`, a reply in its thread) and
 * "Remove" unsaves it. "Reminders" lists pending reminders (soonest first, with Cancel) and the
 * ones that fired (with Remove). Both follow the user's other tabs live (lib/later-data.ts).
 * Tabs are the WAI-ARIA tabs pattern: ←/→ move between them, the choice is kept in `?tab=`.
 */
import "~/styles/saved.css";
import { useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { type KeyboardEvent, useId, useMemo, useRef, useState } from "react";
import { useFormats } from "~/i18n/format";
import { useErrorText } from "~/i18n/server-errors";
import { useConversations } from "~/lib/chat-data";
import { useLaterActions } from "~/lib/later-data";
import { laterHref } from "~/lib/later-format";
import { refetchFresh } from "~/lib/refetch";
import { conversationHeading } from "~/lib/search-groups";
import { useTRPC } from "~/trpc/react";
import type { TRouterOutputs } from "~/trpc/types";
import { MessageBody } from "./message-body";

type TTab = "saved" | "reminders";
type TSavedItem = TRouterOutputs["saved"]["list"]["items"][number];
type TReminder = TRouterOutputs["reminders"]["list"]["pending"][number];

const TABS: readonly { id: TTab }[] = [{ id: "saved" }, { id: "reminders" }];

/** DM and group DM names by conversation id (the sidebar list's), for the items' headings. */
function useDmNames(): ReadonlyMap<string, string> {
  const t = useTranslations("Saved");
  const conversations = useConversations();
  return useMemo(
    () =>
      new Map(
        (conversations.data ?? []).flatMap((c) =>
          c.kind === "dm" || c.kind === "group_dm" ? [[c.id, c.name ?? t("directMessage")] as const] : [],
        ),
      ),
    [conversations.data, t],
  );
}

export function SavedView({ initialTab }: { initialTab: TTab }) {
  const t = useTranslations("Saved");
  const ids = useId();
  const [tab, setTab] = useState<TTab>(initialTab);
  const tabs = useRef<HTMLDivElement>(null);
  const choose = (next: TTab) => {
    setTab(next);
    window.history.replaceState(null, "", next === "saved" ? "/app/saved" : "/app/saved?tab=reminders");
  };
  const onTabKey = (e: KeyboardEvent) => {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight" && e.key !== "Home" && e.key !== "End") return;
    e.preventDefault();
    const at = TABS.findIndex((x) => x.id === tab);
    const to =
      e.key === "Home"
        ? 0
        : e.key === "End"
          ? TABS.length - 1
          : (at + (e.key === "ArrowRight" ? 1 : -1) + 2) % 2;
    const next = TABS[to]?.id ?? "saved";
    choose(next);
    tabs.current?.querySelector<HTMLElement>(`#${CSS.escape(`${ids}-tab-${next}`)}`)?.focus();
  };
  return (
    <div className="page saved-page">
      <h1>{t("heading")}</h1>
      <div className="later-tabs" role="tablist" aria-label={t("items")} ref={tabs} onKeyDown={onTabKey}>
        {TABS.map((x) => (
          <button
            key={x.id}
            id={`${ids}-tab-${x.id}`}
            type="button"
            role="tab"
            aria-selected={tab === x.id}
            aria-controls={`${ids}-panel`}
            tabIndex={tab === x.id ? 0 : -1}
            onClick={() => choose(x.id)}
          >
            {t(`tabs.${x.id}`)}
          </button>
        ))}
      </div>
      <div id={`${ids}-panel`} role="tabpanel" aria-labelledby={`${ids}-tab-${tab}`}>
        {tab === "saved" ? <SavedList /> : <ReminderLists />}
      </div>
    </div>
  );
}

/** Where a saved or reminded message is and who said it, and its text. */
function MessageSummary({
  m,
  dmNames,
}: {
  m: TSavedItem | NonNullable<TReminder["message"]>;
  dmNames: ReadonlyMap<string, string>;
}) {
  const t = useTranslations("Saved");
  const shell = useTranslations("AppShell");
  const fmt = useFormats();
  return (
    <Link className="later-open" href={laterHref(m)}>
      <span className="later-meta">
        <span className="later-place">{conversationHeading(m, dmNames, shell("directMessage"))}</span>
        <span className="sender">{m.senderName}</span>
        <time dateTime={new Date(m.createdAt).toISOString()}>{fmt.time(m.createdAt)}</time>
        {m.threadRootId ? <span className="muted">{t("inThread")}</span> : null}
      </span>
      <span className="later-body">
        <MessageBody text={m.body} />
        {m.editedAt ? <span className="edited"> {t("edited")}</span> : null}
        {m.attachmentCount > 0 ? (
          <span className="muted"> 📎 {t("files", { count: m.attachmentCount })}</span>
        ) : null}
      </span>
    </Link>
  );
}

function SavedList() {
  const t = useTranslations("Saved");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const dmNames = useDmNames();
  const { setSaved } = useLaterActions();
  const [error, setError] = useState<string | null>(null);
  const list = useInfiniteQuery(
    trpc.saved.list.infiniteQueryOptions(
      { limit: 30 },
      { getNextPageParam: (last) => last.nextCursor ?? undefined },
    ),
  );
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const remove = (item: TSavedItem) => {
    setError(null);
    setSaved(item.messageId, item.conversationId, false)
      .then(() => refetchFresh(queryClient, trpc.saved.list.pathFilter()))
      .catch((err: unknown) => setError(errorText(err, t("error"))));
  };
  if (list.error)
    return (
      <p role="alert" className="error">
        {errorText(list.error)}
      </p>
    );
  if (!list.data) return <p className="muted">{t("loading")}</p>;
  return (
    <>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {items.length === 0 ? (
        <p className="muted later-empty">{t("emptySaved")}</p>
      ) : (
        <ul className="later-list" aria-label={t("savedMessages")}>
          {items.map((item) => (
            <li key={item.messageId}>
              <MessageSummary m={item} dmNames={dmNames} />
              <button
                type="button"
                className="quiet"
                aria-label={t("removeSaved", { name: item.senderName })}
                onClick={() => remove(item)}
              >
                {t("remove")}
              </button>
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage ? (
        <button type="button" disabled={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
          {list.isFetchingNextPage ? t("loading") : t("more")}
        </button>
      ) : null}
    </>
  );
}

function ReminderLists() {
  const t = useTranslations("Saved");
  const errorText = useErrorText();
  const fmt = useFormats();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const dmNames = useDmNames();
  const { cancel } = useLaterActions();
  const [error, setError] = useState<string | null>(null);
  const list = useQuery(trpc.reminders.list.queryOptions());
  const drop = (r: TReminder) => {
    setError(null);
    cancel(r.id)
      .then(() => refetchFresh(queryClient, trpc.reminders.list.queryFilter()))
      .catch((err: unknown) => setError(errorText(err, t("error"))));
  };
  if (list.error)
    return (
      <p role="alert" className="error">
        {errorText(list.error)}
      </p>
    );
  if (!list.data) return <p className="muted">{t("loading")}</p>;
  const { pending, fired } = list.data;
  const row = (r: TReminder, isPending: boolean) => (
    <li key={r.id}>
      <div className="later-due">
        {isPending ? t("due") : t("reminded")}{" "}
        <time dateTime={new Date(isPending ? r.dueAt : (r.firedAt ?? r.dueAt)).toISOString()}>
          {fmt.due(isPending ? r.dueAt : (r.firedAt ?? r.dueAt))}
        </time>
      </div>
      {r.message ? (
        <MessageSummary m={r.message} dmNames={dmNames} />
      ) : (
        <p className="muted later-open">{t("gone")}</p>
      )}
      <button
        type="button"
        className="quiet"
        aria-label={isPending ? t("cancelReminder", { due: fmt.due(r.dueAt) }) : t("removeReminder")}
        onClick={() => drop(r)}
      >
        {isPending ? t("cancel") : t("remove")}
      </button>
    </li>
  );
  return (
    <>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      <h2>{t("upcoming")}</h2>
      {pending.length === 0 ? (
        <p className="muted later-empty">{t("emptyReminders")}</p>
      ) : (
        <ul className="later-list" aria-label={t("upcomingReminders")}>
          {pending.map((r) => row(r, true))}
        </ul>
      )}
      {fired.length > 0 ? (
        <>
          <h2>{t("past")}</h2>
          <ul className="later-list" aria-label={t("past")}>
            {fired.map((r) => row(r, false))}
          </ul>
        </>
      ) : null}
    </>
  );
}

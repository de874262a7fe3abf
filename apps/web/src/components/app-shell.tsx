"use client";

/**
 * The signed-in chrome around every /app page: the header (its search box opens message search, as
 * Ctrl/Cmd+F does; at phone width also the drawer's Menu button and Jump to…), the sidebar (a
 * toggleable drawer at phone width), the quick switcher (Ctrl/Cmd+K), Alt+↑/↓ between conversations,
 * Shift+Esc (mark all as read), the keyboard shortcuts sheet (Ctrl/Cmd+/),
 * desktop notifications, the tab's unread-mention count (title and favicon), and the presence watch shared by the sidebar and the members panel (the
 * SDK keeps one watched set per tab, so one component owns it and everyone else reads
 * `usePresenceMap`).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { type MouseEvent, type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useConversations, useMarkConversationRead } from "~/lib/chat-data";
import { stepConversation } from "~/lib/conversation-order";
import { useDesktopNotifications } from "~/lib/notifications";
import { PresenceContext, StatusLinesContext, usePresence } from "~/lib/presence";
import { refetchFresh } from "~/lib/refetch";
import { unreadMentionTotal, useUnreadBadge } from "~/lib/unread-badge";
import { useSidebarOrder } from "~/lib/use-sidebar-order";
import { useWorkspaceExtrasQuery, WorkspaceExtrasContext } from "~/lib/workspace-extras";
import { useTRPC } from "~/trpc/react";
import { QuickSwitcher } from "./quick-switcher";
import type { TSearchScope } from "./search-chips";
import { SearchDialog } from "./search-dialog";
import { ShortcutsDialog } from "./shortcuts-dialog";
import { Sidebar } from "./sidebar";

/** The conversation id in an /app/c/<id>… path, or null. */
export function conversationIdOf(pathname: string): string | null {
  return /^\/app\/c\/([^/?#]+)/.exec(pathname)?.[1] ?? null;
}

function isTypingTarget(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
  );
}

/** Whether a dialog, menu, picker or drawer is open (its Escape closes it). */
function isSomethingOpen(): boolean {
  return document.querySelector("dialog[open], [aria-expanded='true'], [aria-modal='true']") !== null;
}

/**
 * Whether a plain Escape is free to mean "mark the open conversation read" (Slack's key): nothing
 * consumed it (a suggestion list, an edit, a row's toolbar), nothing was open when the key went
 * down (`openAtKeydown`, read in the capture phase: the Escape that closes a menu may have
 * re-rendered it closed by now), and focus is not in a text box — except the conversation's own
 * composer when it is empty.
 */
function isFreeEscape(e: KeyboardEvent, openAtKeydown: boolean): boolean {
  if (e.key !== "Escape" || e.defaultPrevented || e.shiftKey || e.ctrlKey || e.metaKey || e.altKey)
    return false;
  if (openAtKeydown) return false;
  const target = e.target instanceof HTMLElement ? e.target : null;
  if (target?.closest("dialog, [role=dialog], [role=menu]")) return false;
  if (!isTypingTarget(target)) return true;
  return target?.id === "composer" && (target as HTMLTextAreaElement).value === "";
}

/**
 * Where a skip link lands: the message list's tab stop (its roving article, else the log itself)
 * or the conversation's composer; null when the page has none.
 */
function skipTarget(which: "messages" | "composer"): HTMLElement | null {
  if (which === "composer") return document.getElementById("composer");
  const log = document.getElementById("message-history");
  return log?.querySelector<HTMLElement>('article.msg[tabindex="0"]') ?? log;
}

/** The first stops of the Tab order: past the sidebar to the messages or the composer. */
function SkipLinks({ isConversation }: { isConversation: boolean }) {
  const t = useTranslations("AppShell");
  const skip = (which: "messages" | "composer") => (e: MouseEvent) => {
    const target = skipTarget(which);
    if (!target) return;
    e.preventDefault();
    target.focus();
  };
  return isConversation ? (
    <div className="skip-links">
      {/* biome-ignore lint/a11y/useValidAnchor: an in-page link (works without script); the click lands on the feed's roving row */}
      <a className="skip-link" href="#message-history" onClick={skip("messages")}>
        {t("skipToMessages")}
      </a>
      {/* biome-ignore lint/a11y/useValidAnchor: an in-page link (works without script); the click focuses the box */}
      <a className="skip-link" href="#composer" onClick={skip("composer")}>
        {t("skipToComposer")}
      </a>
    </div>
  ) : (
    <div className="skip-links">
      <a className="skip-link" href="#main">
        {t("skipToContent")}
      </a>
    </div>
  );
}

/** Sidebar + main pane, with the drawer, switcher and shortcuts (see the file header). */
export function AppShell({ children }: { children: ReactNode }) {
  const t = useTranslations("AppShell");
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const [isDrawerOpen, setDrawerOpen] = useState(false);
  const [isSwitcherOpen, setSwitcherOpen] = useState(false);
  const [isSearchOpen, setSearchOpen] = useState(false);
  const [searchScope, setSearchScope] = useState<TSearchScope | null>(null);
  const [isShortcutsOpen, setShortcutsOpen] = useState(false);
  const queryClient = useQueryClient();
  const markAllRead = useMutation(
    trpc.notifications.markAllRead.mutationOptions({
      onSuccess: () => refetchFresh(queryClient, trpc.conversations.pathFilter()),
    }),
  );
  const conversations = useConversations();
  const openId = conversationIdOf(pathname);
  const markConversationRead = useMarkConversationRead();
  // One sort for the sidebar and Alt+↑/↓ (unreads first if the user chose it).
  const order = useSidebarOrder(conversations.data, openId);
  // Where the last Alt+↑/↓ went while its navigation is under way: the next press steps from there,
  // so quick presses walk one place each (the listener below still holds the old open id until the
  // new page has rendered and its effect re-registered). Cleared once the open conversation changes.
  const stepTarget = useRef<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every change of the open conversation
  useEffect(() => {
    stepTarget.current = null;
  }, [openId]);
  const members = useQuery(
    trpc.conversations.members.queryOptions(
      { conversationId: openId ?? "" },
      { enabled: openId !== null, staleTime: 30_000 },
    ),
  );
  const watched = useMemo(
    () => [
      ...(conversations.data ?? []).flatMap((c) => c.dmMembers.map((m) => m.id)),
      ...(openId ? (members.data ?? []).map((m) => m.userId) : []),
    ],
    [conversations.data, members.data, openId],
  );
  const { statuses: presence, lines: statusLines } = usePresence(watched);
  // Search results are grouped under their conversation's name; a DM's is its members' (the list's).
  const dmNames = useMemo(
    () =>
      new Map(
        (conversations.data ?? []).flatMap((c) =>
          c.kind === "dm" || c.kind === "group_dm" ? [[c.id, c.name ?? t("directMessage")] as const] : [],
        ),
      ),
    [conversations.data, t],
  );
  const extras = useWorkspaceExtrasQuery();
  // Search opened in a conversation (and its open thread) starts scoped to it.
  const openSearch = useCallback(() => {
    setSwitcherOpen(false);
    const open = (conversations.data ?? []).find((c) => c.id === openId);
    const isChannel = !open || open.kind === "public_channel" || open.kind === "private_channel";
    setSearchScope(
      openId
        ? {
            conversationId: openId,
            label: open && isChannel ? `#${open.name}` : isChannel ? "this channel" : "this conversation",
            threadRootId: new URLSearchParams(window.location.search).get("thread"),
          }
        : null,
    );
    setSearchOpen(true);
  }, [conversations.data, openId]);
  const notifyPrefs = useQuery(trpc.notifications.settings.queryOptions(undefined, { staleTime: 60_000 }));
  useDesktopNotifications(conversations.data, notifyPrefs.data);
  useUnreadBadge(unreadMentionTotal(conversations.data));

  // A navigation closes the drawer (the user picked where to go).
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every path change
  useEffect(() => {
    setDrawerOpen(false);
  }, [pathname]);

  useEffect(() => {
    let openAtKeydown = false;
    const onKeyCapture = (e: KeyboardEvent) => {
      if (e.key === "Escape") openAtKeydown = isSomethingOpen();
    };
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setSearchOpen(false);
        setSwitcherOpen((open) => !open);
        return;
      }
      // Ctrl/Cmd+F searches the workspace's messages (the browser's find stays on Ctrl+G/F3).
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "f") {
        e.preventDefault();
        openSearch();
        return;
      }
      if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
        const target = stepConversation(
          conversations.data ?? [],
          stepTarget.current ?? openId,
          e.key === "ArrowDown" ? 1 : -1,
          order,
        );
        if (!target) return;
        e.preventDefault();
        stepTarget.current = target.id;
        router.push(`/app/c/${target.id}`);
        return;
      }
      // Ctrl/Cmd+/ lists the shortcuts (Slack's key).
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key === "/") {
        e.preventDefault();
        setShortcutsOpen((open) => !open);
        return;
      }
      // Shift+Esc marks everything read (Slack's key), wherever focus is.
      if (e.key === "Escape" && e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        markAllRead.mutate();
        return;
      }
      if (e.key === "Escape" && isDrawerOpen && !isTypingTarget(e.target)) {
        setDrawerOpen(false);
        return;
      }
      // Escape marks the open conversation read up to its newest message (Slack's key).
      const open = openId ? conversations.data?.find((c) => c.id === openId) : undefined;
      if (open?.isMember && isFreeEscape(e, openAtKeydown)) markConversationRead(open);
    };
    window.addEventListener("keydown", onKeyCapture, true);
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKeyCapture, true);
      window.removeEventListener("keydown", onKey);
    };
  }, [
    conversations.data,
    openId,
    order,
    router,
    isDrawerOpen,
    openSearch,
    markAllRead.mutate,
    markConversationRead,
  ]);

  return (
    <PresenceContext.Provider value={presence}>
      <StatusLinesContext.Provider value={statusLines}>
        <WorkspaceExtrasContext.Provider value={extras}>
          <div className={isDrawerOpen ? "shell drawer-open" : "shell"}>
            <SkipLinks isConversation={openId !== null && !pathname.endsWith("/details")} />
            <header className="topbar">
              <button
                type="button"
                className="menu-button phone-only"
                aria-expanded={isDrawerOpen}
                aria-controls="workspace-nav"
                onClick={() => setDrawerOpen((open) => !open)}
              >
                <span aria-hidden="true">☰</span> {t("menu")}
              </button>
              <button type="button" className="quiet phone-only" onClick={() => setSwitcherOpen(true)}>
                {t("jumpTo")}
              </button>
              <button
                type="button"
                className="header-search"
                onClick={openSearch}
                aria-keyshortcuts="Control+F Meta+F"
              >
                <span aria-hidden="true" className="header-search-icon">
                  ⌕
                </span>
                <span className="header-search-label">{t("searchMessages")}</span>
                <kbd>Ctrl F</kbd>
              </button>
            </header>
            <Sidebar onOpenSwitcher={() => setSwitcherOpen(true)} order={order} />
            {isDrawerOpen ? (
              <button
                type="button"
                className="drawer-backdrop"
                aria-label={t("closeMenu")}
                tabIndex={-1}
                onClick={() => setDrawerOpen(false)}
              />
            ) : null}
            <main className="main" id="main" tabIndex={-1}>
              {children}
            </main>
          </div>
          {isSwitcherOpen ? (
            <QuickSwitcher conversations={conversations.data ?? []} onClose={() => setSwitcherOpen(false)} />
          ) : null}
          {isShortcutsOpen ? <ShortcutsDialog onClose={() => setShortcutsOpen(false)} /> : null}
          {isSearchOpen ? (
            <SearchDialog scope={searchScope} dmNames={dmNames} onClose={() => setSearchOpen(false)} />
          ) : null}
        </WorkspaceExtrasContext.Provider>
      </StatusLinesContext.Provider>
    </PresenceContext.Provider>
  );
}

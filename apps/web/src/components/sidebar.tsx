"use client";

import type { ParleyClient } from "@parley/client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { useTranslations } from "next-intl";
import { useFormats } from "~/i18n/format";
import { useConversations } from "~/lib/chat-data";
import { isChannel, sidebarSections, type TSidebarOrderOptions } from "~/lib/conversation-order";
import { clearOfflineData } from "~/lib/offline-cache";
import { type TPresenceStatus, usePresenceMap } from "~/lib/presence";
import { useRealtime } from "~/lib/realtime-context";
import { useTRPC } from "~/trpc/react";
import type { TConversationSummary } from "~/trpc/types";
import { Avatar } from "./avatar";
import { MarkAllRead } from "./mark-all-read";
import { NotificationPrompt } from "./notification-prompt";
import { StatusEditor } from "./status-editor";

/** A DM's presence: the best status among its other members (online beats away beats offline). */
function dmPresence(
  c: TConversationSummary,
  presence: ReadonlyMap<string, TPresenceStatus>,
): TPresenceStatus | null {
  if (isChannel(c) || c.dmMembers.length === 0) return null;
  const all = c.dmMembers.map((m) => presence.get(m.id) ?? "offline");
  return all.includes("online") ? "online" : all.includes("away") ? "away" : "offline";
}

function ConversationLink({
  c,
  pathname,
  presence,
}: {
  c: TConversationSummary;
  pathname: string;
  presence?: TPresenceStatus | null;
}) {
  const t = useTranslations("Sidebar");
  const href = `/app/c/${c.id}`;
  const isActive = pathname === href || pathname.startsWith(`${href}/`);
  // The open conversation is being read right now; its badge would only flicker until markRead lands.
  const unread = isActive ? 0 : c.unreadCount;
  const mentions = isActive ? 0 : c.mentionCount;
  // Muted: no bold and no count for ordinary traffic, but mentions still get the red badge.
  const isBold = unread > 0 && !c.muted;
  const fmt = useFormats();
  const prefix = isChannel(c) ? (c.kind === "private_channel" ? "🔒 " : "# ") : "";
  const label = c.name ?? t("directMessage");
  // A DM with one other person shows their avatar (group DMs and channels do not).
  const other = !isChannel(c) && c.dmMembers.length === 1 ? c.dmMembers[0] : undefined;
  const classes = [isBold ? "unread" : "", c.muted ? "muted-conv" : "", c.archivedAt ? "archived" : ""];
  return (
    <li>
      <Link
        href={href}
        aria-current={isActive ? "page" : undefined}
        className={classes.join(" ").trim() || undefined}
        title={c.muted ? t("mutedTitle", { label }) : undefined}
      >
        <span className="conv-label">
          {presence ? (
            <span className={`presence ${presence}`} role="img" aria-label={t(`presence.${presence}`)} />
          ) : null}
          {other ? <Avatar userId={other.id} avatarId={other.avatarId} name={other.name} size="sm" /> : null}
          <span aria-hidden="true">{prefix}</span>
          {label}
          {c.muted ? <span className="visually-hidden"> {t("muted")}</span> : null}
        </span>
        {mentions > 0 ? (
          <span className="badge mention" role="status" aria-label={t("mentions", { count: mentions })}>
            {fmt.number(mentions)}
          </span>
        ) : isBold ? (
          <span className="badge count" role="status" aria-label={t("unread", { count: unread })}>
            {fmt.number(unread)}
          </span>
        ) : null}
      </Link>
    </li>
  );
}

/** Workspace name, the caller's channels and DMs with unread state, and the main actions. */
/**
 * Signs out of this browser: the realtime client stops first (it writes its stores no more), then
 * everything kept for offline use goes (saved pages and data, this user's outbox, cursors and
 * drafts: unsent messages are dropped), then next-auth ends the session.
 */
async function signOutHere(client: ParleyClient | null, userId: string): Promise<void> {
  client?.disconnect("signed out");
  await clearOfflineData(userId);
  await signOut({ callbackUrl: "/sign-in" });
}

export function Sidebar({
  onOpenSwitcher,
  order,
}: {
  onOpenSwitcher: () => void;
  /** How the sections are sorted (AppShell's `useSidebarOrder`, which Alt+↑/↓ follows too). */
  order: TSidebarOrderOptions;
}) {
  const t = useTranslations("Sidebar");
  const trpc = useTRPC();
  const pathname = usePathname();
  const status = useQuery(trpc.workspace.status.queryOptions());
  const me = useQuery(trpc.users.me.queryOptions());
  const conversations = useConversations();
  const { channels, dms } = sidebarSections(conversations.data ?? [], order);
  const presence = usePresenceMap();
  // This tab's own connection says whether others can see me online right now.
  const { status: connection, client, userId } = useRealtime();
  const myPresence: TPresenceStatus =
    connection.state === "open" ? (me.data ? (presence.get(me.data.id) ?? "online") : "online") : "offline";

  return (
    <nav className="sidebar" id="workspace-nav" aria-label={t("workspace")}>
      <p className="ws-name">{status.data?.name ?? "Parley"}</p>
      <button type="button" className="jump" onClick={onOpenSwitcher} aria-keyshortcuts="Control+K Meta+K">
        <span>{t("jumpTo")}</span>
        <kbd>Ctrl K</kbd>
      </button>
      <Link
        className="nav-action saved-link"
        href="/app/saved"
        aria-current={pathname === "/app/saved" ? "page" : undefined}
      >
        <span aria-hidden="true">🔖</span> {t("saved")}
      </Link>
      <MarkAllRead
        hasUnread={(conversations.data ?? []).some((c) => c.unreadCount > 0 || c.mentionCount > 0)}
      />
      <h2 className="section-title" id="channels-heading">
        {t("channels")}
      </h2>
      <ul aria-labelledby="channels-heading">
        {channels.map((c) => (
          <ConversationLink key={c.id} c={c} pathname={pathname} />
        ))}
      </ul>
      {/* Guests can neither browse nor create channels (the server refuses; this only mirrors it). */}
      {me.data && me.data.role !== "guest" ? (
        <>
          <Link className="nav-action" href="/app/browse">
            {t("browseChannels")}
          </Link>
          <Link className="nav-action" href="/app/new-channel">
            {t("createChannel")}
          </Link>
        </>
      ) : null}
      <h2 className="section-title" id="dms-heading">
        {t("directMessages")}
      </h2>
      <ul aria-labelledby="dms-heading">
        {dms.map((c) => (
          <ConversationLink key={c.id} c={c} pathname={pathname} presence={dmPresence(c, presence)} />
        ))}
      </ul>
      <Link className="nav-action" href="/app/new-message">
        {t("newMessage")}
      </Link>
      <div className="footer">
        <NotificationPrompt />
        <div className="me-row">
          <span className="me-name">
            {me.data ? (
              <span
                className={`presence ${myPresence}`}
                role="img"
                aria-label={t(`presence.${myPresence}`)}
              />
            ) : null}
            {me.data ? (
              <Avatar userId={me.data.id} avatarId={me.data.avatarId} name={me.data.name} size="sm" />
            ) : null}
            {me.data?.name}
          </span>
        </div>
        {me.data ? <StatusEditor me={me.data} /> : null}
        <div className="footer-links">
          <Link href="/app/settings">{t("settings")}</Link>
          <button type="button" onClick={() => void signOutHere(client, userId)}>
            {t("signOut")}
          </button>
        </div>
      </div>
    </nav>
  );
}

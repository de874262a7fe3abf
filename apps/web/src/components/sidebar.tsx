"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import { type TPresenceStatus, useConversations, usePresence } from "~/lib/chat-data";
import { useTRPC } from "~/trpc/react";
import type { TConversationSummary } from "~/trpc/types";

/** A DM's presence: the best status among its other members (online beats away beats offline). */
function dmPresence(
  c: TConversationSummary,
  presence: ReadonlyMap<string, TPresenceStatus>,
): TPresenceStatus | null {
  if (c.kind !== "dm" && c.kind !== "group_dm") return null;
  if (c.dmMembers.length === 0) return null;
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
  const href = `/app/c/${c.id}`;
  const isActive = pathname === href;
  // The open conversation is being read right now; its badge would only flicker until markRead lands.
  const isUnread = c.unreadCount > 0 && !isActive;
  const isChannel = c.kind === "public_channel" || c.kind === "private_channel";
  const prefix = isChannel ? (c.kind === "private_channel" ? "🔒 " : "# ") : "";
  const label = c.name ?? "Direct message";
  return (
    <li>
      <Link
        href={href}
        aria-current={isActive ? "page" : undefined}
        className={[isUnread ? "unread" : "", c.archivedAt ? "archived" : ""].join(" ").trim() || undefined}
      >
        <span>
          {presence ? <span className={`presence ${presence}`} role="img" aria-label={presence} /> : null}
          <span aria-hidden="true">{prefix}</span>
          {label}
        </span>
        {isUnread ? (
          <span className="badge" role="status" aria-label={`${c.unreadCount} unread`}>
            {c.unreadCount}
          </span>
        ) : null}
      </Link>
    </li>
  );
}

/** Workspace name, the caller's channels and DMs with unread state, and the main actions. */
export function Sidebar() {
  const trpc = useTRPC();
  const pathname = usePathname();
  const status = useQuery(trpc.workspace.status.queryOptions());
  const me = useQuery(trpc.users.me.queryOptions());
  const conversations = useConversations();
  const list = conversations.data ?? [];
  const channels = list
    .filter((c) => c.kind === "public_channel" || c.kind === "private_channel")
    .sort(
      (a, b) =>
        Number(Boolean(a.archivedAt)) - Number(Boolean(b.archivedAt)) ||
        (a.name ?? "").localeCompare(b.name ?? ""),
    );
  const dms = list.filter((c) => c.kind === "dm" || c.kind === "group_dm");
  const presence = usePresence(dms.flatMap((c) => c.dmMembers.map((m) => m.id)));

  return (
    <nav className="sidebar" aria-label="Workspace">
      <p className="ws-name">{status.data?.name ?? "Parley"}</p>
      <h2 className="section-title" id="channels-heading">
        Channels
      </h2>
      <ul aria-labelledby="channels-heading">
        {channels.map((c) => (
          <ConversationLink key={c.id} c={c} pathname={pathname} />
        ))}
      </ul>
      <Link className="nav-action" href="/app/browse">
        Browse channels
      </Link>
      <Link className="nav-action" href="/app/new-channel">
        Create channel
      </Link>
      <h2 className="section-title" id="dms-heading">
        Direct messages
      </h2>
      <ul aria-labelledby="dms-heading">
        {dms.map((c) => (
          <ConversationLink key={c.id} c={c} pathname={pathname} presence={dmPresence(c, presence)} />
        ))}
      </ul>
      <Link className="nav-action" href="/app/new-message">
        New message
      </Link>
      <div className="footer">
        <span>{me.data?.name}</span>
        <Link href="/app/settings">Settings</Link>
        <button type="button" onClick={() => void signOut({ callbackUrl: "/sign-in" })}>
          Sign out
        </button>
      </div>
    </nav>
  );
}

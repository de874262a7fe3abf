"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { useErrorText } from "~/i18n/server-errors";
import { statusLineOf, usePresenceMap, useStatusLines } from "~/lib/presence";
import { useTRPC } from "~/trpc/react";
import { Avatar } from "./avatar";

const ORDER = { online: 0, away: 1, offline: 2 } as const;

/** Who is in the conversation: presence, custom status, owner tag; online people first. */
export function MembersPanel({
  conversationId,
  isChannel,
  onClose,
}: {
  conversationId: string;
  isChannel: boolean;
  onClose: () => void;
}) {
  const t = useTranslations("Members");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const members = useQuery(
    trpc.conversations.members.queryOptions({ conversationId }, { staleTime: 30_000 }),
  );
  const presence = usePresenceMap();
  const statusLines = useStatusLines();
  const rows = [...(members.data ?? [])].sort(
    (a, b) =>
      ORDER[presence.get(a.userId) ?? "offline"] - ORDER[presence.get(b.userId) ?? "offline"] ||
      a.name.localeCompare(b.name),
  );
  return (
    <aside className="side-panel" aria-label={t("heading")}>
      <header className="panel-header">
        <h2>{members.data ? t("headingCount", { count: members.data.length }) : t("heading")}</h2>
        <button type="button" className="quiet icon close" aria-label={t("close")} onClick={onClose}>
          ✕
        </button>
      </header>
      <div className="panel-body">
        {members.error ? (
          <p role="alert" className="error panel-note">
            {errorText(members.error)}
          </p>
        ) : null}
        <ul className="member-list" aria-label={t("list")}>
          {rows.map((m) => {
            const status = presence.get(m.userId) ?? "offline";
            return (
              <li key={m.userId} className={m.isDeactivated ? "deactivated" : undefined}>
                <Avatar userId={m.userId} avatarId={m.avatarId} name={m.name}>
                  <span className={`presence-dot ${status}`} />
                </Avatar>
                <span className="member-text">
                  <span className="member-name">
                    {m.name}
                    {m.pronouns ? <span className="muted"> ({m.pronouns})</span> : null}
                    <span className="visually-hidden">, {status}</span>
                    {m.role === "owner" && isChannel ? <span className="tag">{t("owner")}</span> : null}
                    {m.isBot ? <span className="tag">{t("bot")}</span> : null}
                    {m.isDeactivated ? <span className="tag">{t("deactivated")}</span> : null}
                  </span>
                  {m.title ? <span className="member-status">{m.title}</span> : null}
                  {statusLineOf(statusLines, m.userId, m) ? (
                    <span className="member-status">{statusLineOf(statusLines, m.userId, m)}</span>
                  ) : null}
                </span>
              </li>
            );
          })}
        </ul>
        {isChannel ? (
          <p className="panel-note">
            <Link href={`/app/c/${conversationId}/details`}>{t("manage")}</Link>
          </p>
        ) : null}
      </div>
    </aside>
  );
}

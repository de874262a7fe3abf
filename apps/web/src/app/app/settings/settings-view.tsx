"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useHydrated } from "~/lib/use-hydrated";
import { useTRPC } from "~/trpc/react";
import { AuditLogAdmin, UploadsAdmin, WorkspaceAdmin } from "./admin-sections";
import { BotsAdmin } from "./bots-admin";
import { BroadcastAdmin } from "./broadcast-admin";
import { ChannelsAdmin } from "./channels-admin";
import { EmojiSettings } from "./emoji-settings";
import { ExportSection } from "./export-section";
import { HealthAdmin } from "./health-section";
import { IntegrationsAdmin } from "./integrations-admin";
import { JoiningAdmin } from "./joining-section";
import { LanguageSettings } from "./language-section";
import { LinkPreviewsAdmin } from "./link-previews-admin";
import { MessageWindowsAdmin } from "./message-windows-admin";
import { NotificationSettings } from "./notification-settings";
import { PeopleAdmin } from "./people-admin";
import { PrivacySettings } from "./privacy-section";
import { ProfileSettings } from "./profile-section";
import { RetentionAdmin } from "./retention-admin";
import { CopyValue, When } from "./settings-shared";
import { SidebarSettings } from "./sidebar-section";
import { SlackImportSection } from "./slack-import-section";
import { UserGroupsAdmin } from "./user-groups-admin";

function Sessions() {
  const t = useTranslations("Sessions");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessions = useQuery(trpc.sessions.list.queryOptions());
  const refresh = () => refetchFresh(queryClient, trpc.sessions.list.queryFilter());
  const revoke = useMutation(trpc.sessions.revoke.mutationOptions({ onSuccess: refresh }));
  const revokeOthers = useMutation(trpc.sessions.revokeOthers.mutationOptions({ onSuccess: refresh }));
  return (
    <section className="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      <FormError error={sessions.error ?? revoke.error ?? revokeOthers.error} />
      <ul className="list" aria-label={t("heading")}>
        {(sessions.data ?? []).map((s) => (
          <li key={s.id}>
            <div className="grow">
              <div>
                {s.userAgent ?? t("unknownBrowser")}{" "}
                {s.isCurrent ? <span className="tag">{t("thisBrowser")}</span> : null}
              </div>
              <div className="muted">
                {t.rich("details", {
                  ip: s.ip ?? t("unknownAddress"),
                  signedIn: () => <When value={s.createdAt} />,
                  lastSeen: () => <When value={s.lastSeenAt} />,
                })}
              </div>
            </div>
            {s.isCurrent ? null : (
              <button type="button" className="danger" onClick={() => revoke.mutate({ id: s.id })}>
                {t("revoke")}
              </button>
            )}
          </li>
        ))}
      </ul>
      <p>
        <button type="button" onClick={() => revokeOthers.mutate()} disabled={revokeOthers.isPending}>
          {t("revokeOthers")}
        </button>
      </p>
    </section>
  );
}

function Tokens() {
  const fieldError = useFieldError();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const refresh = () => refetchFresh(queryClient, trpc.tokens.list.queryFilter());
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const t = useTranslations("Tokens");
  // Before hydration a click would submit the form natively (a reload; no token made).
  const hydrated = useHydrated();
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: async (made) => {
        setCreated({ name: made.name, token: made.token });
        await refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: refresh }));

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const days = Number(form.get("expiresInDays"));
    create.mutate({ name: String(form.get("name")).trim(), ...(days > 0 ? { expiresInDays: days } : {}) });
    e.currentTarget.reset();
  }

  return (
    <section className="card" aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">{t("heading")}</h2>
      <p className="muted">
        {t.rich("intro", { code: () => <code>Authorization: Bearer &lt;token&gt;</code> })}
      </p>
      <form className="row" onSubmit={onSubmit} aria-label={t("create")}>
        <Field
          label={t("name")}
          name="name"
          required
          maxLength={80}
          error={fieldError(create.error, "name")}
        />
        <Field
          label={t("expiresIn")}
          name="expiresInDays"
          type="number"
          min={1}
          max={3650}
          error={fieldError(create.error, "expiresInDays")}
        />
        <button type="submit" className="primary" disabled={create.isPending || !hydrated}>
          {t("create")}
        </button>
      </form>
      {created ? (
        <div role="status" style={{ marginTop: "1rem" }}>
          <p>{t.rich("copyNow", { name: created.name, strong: (chunks) => <strong>{chunks}</strong> })}</p>
          <CopyValue label={t("newToken")} value={created.token} />
        </div>
      ) : null}
      <FormError error={tokens.error ?? create.error ?? revoke.error} fields={["name", "expiresInDays"]} />
      {tokens.data && tokens.data.length > 0 ? (
        <ul className="list" aria-label={t("list")} style={{ marginTop: "1rem" }}>
          {tokens.data.map((tok) => (
            <li key={tok.id}>
              <div className="grow">
                <div>
                  <strong>{tok.name}</strong> <code>{tok.prefix}…</code>
                </div>
                <div className="muted">
                  {t.rich("used", {
                    created: () => <When value={tok.createdAt} />,
                    lastUsed: () => <When value={tok.lastUsedAt} />,
                  })}
                  {tok.expiresAt ? (
                    <> · {t.rich("expires", { when: () => <When value={tok.expiresAt} /> })}</>
                  ) : null}
                </div>
              </div>
              <button
                type="button"
                className="danger"
                aria-label={t("revokeName", { name: tok.name })}
                onClick={() => revoke.mutate({ id: tok.id })}
              >
                {t("revoke")}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function Invites() {
  const t = useTranslations("Invites");
  const trpc = useTRPC();
  const [link, setLink] = useState<string | null>(null);
  const create = useMutation(
    trpc.auth.createInvite.mutationOptions({
      onSuccess: ({ token }) =>
        setLink(`${window.location.origin}/sign-up?invite=${encodeURIComponent(token)}`),
    }),
  );
  return (
    <section className="card" aria-labelledby="invite-heading">
      <h2 id="invite-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      <button type="button" className="primary" onClick={() => create.mutate()} disabled={create.isPending}>
        {t("create")}
      </button>
      <FormError error={create.error} />
      {link ? (
        <div style={{ marginTop: "1rem" }}>
          <CopyValue label={t("link")} value={link} />
        </div>
      ) : null}
    </section>
  );
}

/**
 * Profile, privacy, sidebar, notifications, sessions, tokens, invites (members; admins have Joining) and (for
 * admins) workspace, joining, broadcast mentions, uploads, people and the audit log; Export for
 * everyone (the owner's includes the workspace export).
 */
export function SettingsView() {
  const t = useTranslations("Settings");
  const trpc = useTRPC();
  const me = useQuery(trpc.users.me.queryOptions());
  const isAdmin = me.data?.role === "owner" || me.data?.role === "admin";
  return (
    <div className="page">
      <h1>{t("heading")}</h1>
      <ProfileSettings />
      <PrivacySettings />
      <SidebarSettings />
      <LanguageSettings />
      <NotificationSettings />
      {me.data && !isAdmin ? <Invites /> : null}
      {isAdmin ? <WorkspaceAdmin /> : null}
      {isAdmin ? <JoiningAdmin /> : null}
      {isAdmin ? <BroadcastAdmin /> : null}
      {isAdmin ? <MessageWindowsAdmin /> : null}
      {isAdmin ? <LinkPreviewsAdmin /> : null}
      {me.data ? <EmojiSettings myId={me.data.id} isAdmin={isAdmin} /> : null}
      {isAdmin ? <UserGroupsAdmin /> : null}
      {isAdmin ? <ChannelsAdmin /> : null}
      {isAdmin ? <UploadsAdmin /> : null}
      {isAdmin ? <RetentionAdmin /> : null}
      {isAdmin && me.data ? <PeopleAdmin myId={me.data.id} myRole={me.data.role} /> : null}
      {isAdmin ? <BotsAdmin /> : null}
      {isAdmin ? <IntegrationsAdmin /> : null}
      {isAdmin ? <AuditLogAdmin /> : null}
      {isAdmin ? <HealthAdmin /> : null}
      {me.data ? <ExportSection isOwner={me.data.role === "owner"} /> : null}
      {isAdmin ? <SlackImportSection /> : null}
      <Sessions />
      <Tokens />
    </div>
  );
}

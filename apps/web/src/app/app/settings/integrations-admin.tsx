"use client";

/**
 * Settings → Integrations (admins): incoming webhooks (pick a channel and a bot; the URL is shown
 * once; list with last use; revoke) and slash commands (name, callback URL, bot; the signing
 * secret is shown once; list; delete). Core checks the role and audit-logs every change;
 * docs/integrations.md says what a hook accepts and what a command's callback receives.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";
import { CopyValue, When } from "./settings-shared";

type TOption = { id: string; name: string };

/** A labelled <select> of options (channels or bots). */
function Picker({
  label,
  value,
  onChange,
  options,
  prefix = "",
}: {
  label: string;
  value: string;
  onChange: (id: string) => void;
  options: TOption[];
  prefix?: string;
}) {
  const t = useTranslations("Integrations");
  return (
    <label className="field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)} required>
        <option value="">{t("choose")}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {prefix}
            {o.name}
          </option>
        ))}
      </select>
    </label>
  );
}

function IncomingWebhooks({ channels, bots }: { channels: TOption[]; bots: TOption[] }) {
  const fieldError = useFieldError();
  const t = useTranslations("Integrations");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hooks = useQuery(trpc.hooks.list.queryOptions());
  const [name, setName] = useState("");
  const [conversationId, setConversationId] = useState("");
  const [botId, setBotId] = useState("");
  const [created, setCreated] = useState<string | null>(null);
  const refresh = () => refetchFresh(queryClient, trpc.hooks.list.queryFilter());
  const create = useMutation(
    trpc.hooks.create.mutationOptions({
      onSuccess: async (hook) => {
        setCreated(new URL(hook.path, window.location.origin).toString());
        setName("");
        await refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.hooks.revoke.mutationOptions({ onSuccess: refresh }));
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setCreated(null);
    create.mutate({ name: name.trim(), conversationId, botId });
  }
  return (
    <>
      <h3>{t("webhooks")}</h3>
      <p className="muted">{t.rich("webhooksIntro", { code: () => <code>@slack/webhook</code> })}</p>
      <form className="form" aria-label={t("newWebhook")} onSubmit={onSubmit}>
        <Field
          label={t("webhookName")}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={80}
          error={fieldError(create.error, "name")}
        />
        <Picker
          label={t("channel")}
          value={conversationId}
          onChange={setConversationId}
          options={channels}
          prefix="#"
        />
        <Picker label={t("postsAs")} value={botId} onChange={setBotId} options={bots} />
        <FormError error={create.error ?? revoke.error} fields={["name"]} />
        <button type="submit" className="primary" disabled={create.isPending}>
          {t("createWebhook")}
        </button>
        {created ? (
          <div role="status">
            <p>{t.rich("copyUrl", { strong: (chunks) => <strong>{chunks}</strong> })}</p>
            <CopyValue label={t("newUrl")} value={created} />
          </div>
        ) : null}
      </form>
      <ul className="list" aria-label={t("webhooks")}>
        {(hooks.data ?? []).map((h) => (
          <li key={h.id}>
            <div className="grow">
              <div>
                <strong>{h.name}</strong> → {t("hookTarget", { channel: h.channel.name, bot: h.bot.name })}
                {h.revokedAt ? <span className="muted"> {t("revoked")}</span> : null}
              </div>
              <div className="muted">
                {t.rich("used", {
                  created: () => <When value={h.createdAt} />,
                  lastUsed: () => <When value={h.lastUsedAt} />,
                })}
              </div>
            </div>
            {h.revokedAt ? null : (
              <button
                type="button"
                className="danger"
                aria-label={t("revokeWebhook", { name: h.name })}
                disabled={revoke.isPending}
                onClick={() => revoke.mutate({ id: h.id })}
              >
                {t("revoke")}
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

function SlashCommands({ bots }: { bots: TOption[] }) {
  const fieldError = useFieldError();
  const t = useTranslations("Integrations");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const commands = useQuery(trpc.commands.list.queryOptions());
  const [command, setCommand] = useState("");
  const [callbackUrl, setCallbackUrl] = useState("");
  const [botId, setBotId] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const refresh = () => refetchFresh(queryClient, trpc.commands.list.queryFilter());
  const create = useMutation(
    trpc.commands.create.mutationOptions({
      onSuccess: async (made) => {
        setSecret(made.signingSecret);
        setCommand("");
        setCallbackUrl("");
        await refresh();
      },
    }),
  );
  const remove = useMutation(trpc.commands.delete.mutationOptions({ onSuccess: refresh }));
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setSecret(null);
    create.mutate({ command: command.trim(), callbackUrl: callbackUrl.trim(), botId });
  }
  return (
    <>
      <h3>{t("commands")}</h3>
      <p className="muted">
        {t.rich("commandsIntro", {
          command: () => <code>/command</code>,
          slashes: () => <code>{"//"}</code>,
        })}
      </p>
      <form className="form" aria-label={t("newCommand")} onSubmit={onSubmit}>
        <Field
          label={t("command")}
          value={command}
          onChange={(e) => setCommand(e.target.value)}
          required
          maxLength={33}
          placeholder="/deploy"
          error={fieldError(create.error, "command")}
        />
        <Field
          label={t("callback")}
          value={callbackUrl}
          onChange={(e) => setCallbackUrl(e.target.value)}
          required
          maxLength={2000}
          placeholder="https://tools.example.com/slack/commands"
          error={fieldError(create.error, "callbackUrl")}
        />
        <Picker label={t("answersAs")} value={botId} onChange={setBotId} options={bots} />
        <FormError error={create.error ?? remove.error} fields={["command", "callbackUrl"]} />
        <button type="submit" className="primary" disabled={create.isPending}>
          {t("createCommand")}
        </button>
        {secret ? (
          <div role="status">
            <p>{t.rich("copySecret", { strong: (chunks) => <strong>{chunks}</strong> })}</p>
            <CopyValue label={t("secret")} value={secret} />
          </div>
        ) : null}
      </form>
      <ul className="list" aria-label={t("commands")}>
        {(commands.data ?? []).map((c) => (
          <li key={c.id}>
            <div className="grow">
              <div>
                <strong>/{c.command}</strong> → <code>{c.callbackUrl}</code> {t("asBot", { bot: c.bot.name })}
              </div>
              <div className="muted">
                {t.rich("used", {
                  created: () => <When value={c.createdAt} />,
                  lastUsed: () => <When value={c.lastUsedAt} />,
                })}
              </div>
            </div>
            <button
              type="button"
              className="danger"
              aria-label={t("deleteCommand", { command: c.command })}
              disabled={remove.isPending}
              onClick={() => remove.mutate({ id: c.id })}
            >
              {t("delete")}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

export function IntegrationsAdmin() {
  const t = useTranslations("Integrations");
  const trpc = useTRPC();
  const bots = useQuery(trpc.bots.list.queryOptions());
  const channels = useQuery(trpc.channelAdmin.list.queryOptions({ archived: "active", limit: 100 }));
  const channelOptions: TOption[] = (channels.data?.channels ?? []).map((c) => ({ id: c.id, name: c.name }));
  const botOptions: TOption[] = (bots.data ?? [])
    .filter((b) => !b.deactivatedAt)
    .map((b) => ({ id: b.id, name: b.name }));
  return (
    <section className="card" aria-labelledby="integrations-heading">
      <h2 id="integrations-heading">{t("heading")}</h2>
      <FormError error={bots.error ?? channels.error} />
      <IncomingWebhooks channels={channelOptions} bots={botOptions} />
      <SlashCommands bots={botOptions} />
    </section>
  );
}

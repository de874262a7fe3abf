"use client";

/**
 * Settings → Integrations (admins): incoming webhooks (pick a channel and a bot; the URL is shown
 * once; list with last use; revoke) and slash commands (name, callback URL, bot; the signing
 * secret is shown once; list; delete). Core checks the role and audit-logs every change;
 * docs/integrations.md says what a hook accepts and what a command's callback receives.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Field, FormError } from "~/components/field";
import { fieldError, formErrorMessage } from "~/lib/field-errors";
import { useTRPC } from "~/trpc/react";
import { CopyValue, formatDate } from "./settings-shared";

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
  return (
    <label className="field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)} required>
        <option value="">Choose…</option>
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
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hooks = useQuery(trpc.hooks.list.queryOptions());
  const [name, setName] = useState("");
  const [conversationId, setConversationId] = useState("");
  const [botId, setBotId] = useState("");
  const [created, setCreated] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.hooks.list.queryFilter());
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
      <h3>Incoming webhooks</h3>
      <p className="muted">
        A secret URL that posts Slack-format payloads into one channel as a bot (e.g. with
        <code> @slack/webhook</code>).
      </p>
      <form className="form" aria-label="New incoming webhook" onSubmit={onSubmit}>
        <Field
          label="Webhook name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={80}
          error={fieldError(create.error, "name")}
        />
        <Picker
          label="Channel"
          value={conversationId}
          onChange={setConversationId}
          options={channels}
          prefix="#"
        />
        <Picker label="Posts as bot" value={botId} onChange={setBotId} options={bots} />
        <FormError message={formErrorMessage(create.error, ["name"]) ?? revoke.error?.message} />
        <button type="submit" className="primary" disabled={create.isPending}>
          Create webhook
        </button>
        {created ? (
          <div role="status">
            <p>
              <strong>Copy the webhook URL now.</strong> It will not be shown again.
            </p>
            <CopyValue label="New webhook URL" value={created} />
          </div>
        ) : null}
      </form>
      <ul className="list" aria-label="Incoming webhooks">
        {(hooks.data ?? []).map((h) => (
          <li key={h.id}>
            <div className="grow">
              <div>
                <strong>{h.name}</strong> → #{h.channel.name} as {h.bot.name}
                {h.revokedAt ? <span className="muted"> (revoked)</span> : null}
              </div>
              <div className="muted">
                created {formatDate(h.createdAt)} · last used {formatDate(h.lastUsedAt)}
              </div>
            </div>
            {h.revokedAt ? null : (
              <button
                type="button"
                className="danger"
                aria-label={`Revoke webhook ${h.name}`}
                disabled={revoke.isPending}
                onClick={() => revoke.mutate({ id: h.id })}
              >
                Revoke
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

function SlashCommands({ bots }: { bots: TOption[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const commands = useQuery(trpc.commands.list.queryOptions());
  const [command, setCommand] = useState("");
  const [callbackUrl, setCallbackUrl] = useState("");
  const [botId, setBotId] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.commands.list.queryFilter());
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
      <h3>Slash commands</h3>
      <p className="muted">
        A member's message starting with a registered <code>/command</code> is sent, signed like Slack, to its
        callback URL instead of the channel. Start a message with <code>{"//"}</code> to send a slash as text.
      </p>
      <form className="form" aria-label="New slash command" onSubmit={onSubmit}>
        <Field
          label="Command"
          value={command}
          onChange={(e) => setCommand(e.target.value)}
          required
          maxLength={33}
          placeholder="/deploy"
          error={fieldError(create.error, "command")}
        />
        <Field
          label="Callback URL"
          value={callbackUrl}
          onChange={(e) => setCallbackUrl(e.target.value)}
          required
          maxLength={2000}
          placeholder="https://tools.example.com/slack/commands"
          error={fieldError(create.error, "callbackUrl")}
        />
        <Picker label="Answers as bot" value={botId} onChange={setBotId} options={bots} />
        <FormError
          message={formErrorMessage(create.error, ["command", "callbackUrl"]) ?? remove.error?.message}
        />
        <button type="submit" className="primary" disabled={create.isPending}>
          Create command
        </button>
        {secret ? (
          <div role="status">
            <p>
              <strong>Copy the signing secret now.</strong> It will not be shown again.
            </p>
            <CopyValue label="Signing secret" value={secret} />
          </div>
        ) : null}
      </form>
      <ul className="list" aria-label="Slash commands">
        {(commands.data ?? []).map((c) => (
          <li key={c.id}>
            <div className="grow">
              <div>
                <strong>/{c.command}</strong> → <code>{c.callbackUrl}</code> as {c.bot.name}
              </div>
              <div className="muted">
                created {formatDate(c.createdAt)} · last used {formatDate(c.lastUsedAt)}
              </div>
            </div>
            <button
              type="button"
              className="danger"
              aria-label={`Delete command /${c.command}`}
              disabled={remove.isPending}
              onClick={() => remove.mutate({ id: c.id })}
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

export function IntegrationsAdmin() {
  const trpc = useTRPC();
  const bots = useQuery(trpc.bots.list.queryOptions());
  const channels = useQuery(trpc.channelAdmin.list.queryOptions({ archived: "active", limit: 100 }));
  const channelOptions: TOption[] = (channels.data?.channels ?? []).map((c) => ({ id: c.id, name: c.name }));
  const botOptions: TOption[] = (bots.data ?? [])
    .filter((b) => !b.deactivatedAt)
    .map((b) => ({ id: b.id, name: b.name }));
  return (
    <section className="card" aria-labelledby="integrations-heading">
      <h2 id="integrations-heading">Integrations</h2>
      <FormError message={bots.error?.message ?? channels.error?.message} />
      <IncomingWebhooks channels={channelOptions} bots={botOptions} />
      <SlashCommands bots={botOptions} />
    </section>
  );
}

"use client";

/**
 * Settings → Bots (admins): make a bot, give it tokens for the Slack-compatible API scoped to
 * channels and to reading and/or writing (shown once), see each token's last use, revoke it.
 * Core checks the role and audit-logs every change; docs/integrations.md says what bots can call.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";
import { CopyValue, When } from "./settings-shared";

type TChannelOption = { id: string; name: string };

/** The form for a bot's new token: a name, the channels (found by name), read and/or write. */
function TokenForm({ botId, botName }: { botId: string; botName: string }) {
  const fieldError = useFieldError();
  const t = useTranslations("Bots");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [channelQuery, setChannelQuery] = useState("");
  const found = useQuery(
    trpc.channelAdmin.list.queryOptions({
      archived: "active",
      limit: 20,
      ...(channelQuery.trim() ? { query: channelQuery.trim() } : {}),
    }),
  );
  const [picked, setPicked] = useState<TChannelOption[]>([]);
  const channelIds = picked.map((c) => c.id);
  const channels: TChannelOption[] = [
    ...picked,
    ...(found.data?.channels ?? [])
      .filter((c) => !channelIds.includes(c.id))
      .map((c) => ({ id: c.id, name: c.name })),
  ];
  const [canRead, setCanRead] = useState(true);
  const [canWrite, setCanWrite] = useState(true);
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(
    trpc.bots.createToken.mutationOptions({
      onSuccess: async (made) => {
        setCreated(made.token);
        setName("");
        setPicked([]);
        await refetchFresh(queryClient, trpc.bots.list.queryFilter());
      },
    }),
  );
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setCreated(null);
    create.mutate({ botId, name: name.trim(), channelIds, canRead, canWrite });
  }
  return (
    <form className="form" aria-label={t("newToken", { name: botName })} onSubmit={onSubmit}>
      <Field
        label={t("tokenName")}
        value={name}
        onChange={(e) => setName(e.target.value)}
        required
        maxLength={80}
        error={fieldError(create.error, "name")}
      />
      <fieldset className="field group-members">
        <legend>{t("channels")}</legend>
        <Field
          label={t("findChannels")}
          value={channelQuery}
          onChange={(e) => setChannelQuery(e.target.value)}
        />
        {channels.map((c) => (
          <label key={c.id} className="check">
            <input
              type="checkbox"
              checked={channelIds.includes(c.id)}
              onChange={(e) =>
                setPicked(e.target.checked ? [...picked, c] : picked.filter((p) => p.id !== c.id))
              }
            />
            #{c.name}
          </label>
        ))}
      </fieldset>
      <div className="row">
        <label className="check">
          <input type="checkbox" checked={canRead} onChange={(e) => setCanRead(e.target.checked)} />
          {t("read")}
        </label>
        <label className="check">
          <input type="checkbox" checked={canWrite} onChange={(e) => setCanWrite(e.target.checked)} />
          {t("write")}
        </label>
      </div>
      <FormError
        message={fieldError(create.error, "channelIds") ?? fieldError(create.error, "canWrite")}
        error={create.error}
        fields={["name", "channelIds", "canWrite"]}
      />
      <button type="submit" className="primary" disabled={create.isPending}>
        {t("createToken")}
      </button>
      {created ? (
        <div role="status">
          <p>{t.rich("copyNow", { strong: (chunks) => <strong>{chunks}</strong> })}</p>
          <CopyValue label={t("newToken", { name: botName })} value={created} />
        </div>
      ) : null}
    </form>
  );
}

export function BotsAdmin() {
  const fieldError = useFieldError();
  const t = useTranslations("Bots");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const bots = useQuery(trpc.bots.list.queryOptions());
  const [name, setName] = useState("");
  const refresh = () => refetchFresh(queryClient, trpc.bots.list.queryFilter());
  const create = useMutation(
    trpc.bots.create.mutationOptions({
      onSuccess: async () => {
        setName("");
        await refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.bots.revokeToken.mutationOptions({ onSuccess: refresh }));
  return (
    <section className="card" aria-labelledby="bots-heading">
      <h2 id="bots-heading">{t("heading")}</h2>
      <p className="muted">{t.rich("intro", { code: () => <code>/api/slack/</code> })}</p>
      <form
        className="row"
        aria-label={t("newBot")}
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ name: name.trim() });
        }}
      >
        <Field
          label={t("botName")}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={80}
          error={fieldError(create.error, "name")}
        />
        <button type="submit" className="primary" disabled={create.isPending}>
          {t("createBot")}
        </button>
      </form>
      <FormError error={bots.error ?? create.error ?? revoke.error} fields={["name"]} />
      <ul className="list" aria-label={t("heading")} style={{ marginTop: "1rem" }}>
        {(bots.data ?? []).map((bot) => (
          <li key={bot.id} style={{ display: "block" }}>
            <div>
              <strong>{bot.name}</strong> <span className="tag">{t("bot")}</span>
              {bot.deactivatedAt ? <span className="muted"> {t("deactivated")}</span> : null}
            </div>
            <ul className="list" aria-label={t("tokensOf", { name: bot.name })}>
              {bot.tokens.map((tok) => (
                <li key={tok.id}>
                  <div className="grow">
                    <div>
                      <strong>{tok.name}</strong> <code>{tok.prefix}…</code>{" "}
                      {[tok.canRead ? t("scopeRead") : null, tok.canWrite ? t("scopeWrite") : null]
                        .filter(Boolean)
                        .join(" + ")}
                    </div>
                    <div className="muted">
                      {tok.channels.map((c) => `#${c.name}`).join(", ") || t("noChannels")} ·{" "}
                      {t.rich("used", {
                        created: () => <When value={tok.createdAt} />,
                        lastUsed: () => <When value={tok.lastUsedAt} />,
                      })}
                    </div>
                  </div>
                  <button
                    type="button"
                    className="danger"
                    aria-label={t("revokeToken", { token: tok.name, name: bot.name })}
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate({ id: tok.id })}
                  >
                    {t("revoke")}
                  </button>
                </li>
              ))}
            </ul>
            {bot.deactivatedAt ? null : <TokenForm botId={bot.id} botName={bot.name} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

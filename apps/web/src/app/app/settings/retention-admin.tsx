"use client";

/**
 * Admins: message retention — the workspace's default (keep forever, or delete messages older than
 * N days), per-channel overrides, and a dry run of what the hourly job would remove now. The
 * server enforces every rule (retention.* procedures); this only mirrors them.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import { Field, FormError } from "~/components/field";
import { useErrorText, useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";
import { When } from "./settings-shared";

/** A typed number of days as the server reads it: "" → NaN (refused with a field error), else the number. */
const daysOf = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));

/** How a retention reads in a table. */
/** "Workspace default", "Forever", "90 days" (Retention.* messages). */
const describeDays = (days: number | null, t: (key: string, values?: { count: number }) => string) =>
  days === null ? t("workspaceDefault") : days === 0 ? t("forever") : t("days", { count: days });

export function RetentionAdmin() {
  const fieldError = useFieldError();
  const t = useTranslations("Retention");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.retention.settings.queryOptions());
  const [isForever, setForever] = useState(true);
  const [days, setDays] = useState("365");
  const [saved, setSaved] = useState(false);
  const [isPreviewing, setPreviewing] = useState(false);
  const preview = useQuery({ ...trpc.retention.preview.queryOptions(), enabled: isPreviewing });
  useEffect(() => {
    if (settings.data) {
      setForever(settings.data.workspaceDays === 0);
      if (settings.data.workspaceDays > 0) setDays(String(settings.data.workspaceDays));
    }
  }, [settings.data]);
  const refresh = async () => {
    await refetchFresh(queryClient, trpc.retention.settings.queryFilter());
    await refetchFresh(queryClient, trpc.retention.preview.queryFilter());
  };
  const save = useMutation(
    trpc.retention.setWorkspace.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await refresh();
      },
    }),
  );
  return (
    <section className="card" aria-labelledby="retention-heading">
      <h2 id="retention-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      <form
        className="form"
        aria-label={t("workspaceForm")}
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          save.mutate({ days: isForever ? 0 : daysOf(days) });
        }}
      >
        <fieldset className="field" disabled={!settings.data}>
          <legend>{t("keep")}</legend>
          <label className="check">
            <input type="radio" name="retention" checked={isForever} onChange={() => setForever(true)} />
            {t("forever")}
          </label>
          <label className="check">
            <input type="radio" name="retention" checked={!isForever} onChange={() => setForever(false)} />
            {t("olderThan")}
          </label>
        </fieldset>
        {isForever ? null : (
          <Field
            label={t("daysToKeep")}
            type="number"
            min={1}
            max={36_500}
            step={1}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            error={fieldError(save.error, "days")}
          />
        )}
        <FormError error={settings.error ?? save.error} fields={["days"]} />
        <div className="row" style={{ alignItems: "center" }}>
          <button type="submit" className="primary" disabled={!settings.data || save.isPending}>
            {t("save")}
          </button>
          {saved ? <span role="status">{t("saved")}</span> : null}
        </div>
      </form>

      <h3>{t("channels")}</h3>
      {settings.data && settings.data.channels.length > 0 ? (
        <table className="audit-table" aria-label={t("channelTable")}>
          <thead>
            <tr>
              <th scope="col">{t("channel")}</th>
              <th scope="col">{t("keepsMessages")}</th>
              <th scope="col">{t("change")}</th>
            </tr>
          </thead>
          <tbody>
            {settings.data.channels.map((channel) => (
              <ChannelRetentionRow key={channel.conversationId} channel={channel} onSaved={refresh} />
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">{t("noChannels")}</p>
      )}

      <h3>{t("dryRun")}</h3>
      <p className="muted">{t("dryRunIntro")}</p>
      <button type="button" onClick={() => (isPreviewing ? void preview.refetch() : setPreviewing(true))}>
        {preview.isFetching ? t("counting") : t("show")}
      </button>
      <FormError error={preview.error} />
      {preview.data ? (
        preview.data.length === 0 ? (
          <p role="status">{t("nothing")}</p>
        ) : (
          <table className="audit-table" aria-label={t("dryRunTable")}>
            <thead>
              <tr>
                <th scope="col">{t("conversation")}</th>
                <th scope="col">{t("keeps")}</th>
                <th scope="col">{t("messagesRemoved")}</th>
                <th scope="col">{t("filesRemoved")}</th>
                <th scope="col">{t("oldestKept")}</th>
              </tr>
            </thead>
            <tbody>
              {preview.data.map((row) => (
                <tr key={row.conversationId ?? `dms-${row.days}`}>
                  <td>{row.name}</td>
                  <td>{describeDays(row.days, t)}</td>
                  <td>{row.messages}</td>
                  <td>{row.files}</td>
                  <td>{row.oldestKeptAt ? <When value={row.oldestKeptAt} /> : t("none")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </section>
  );
}

type TChannelRow = {
  conversationId: string;
  name: string;
  kind: string;
  retentionDays: number | null;
  isArchived: boolean;
};

/** One channel's override: the workspace default, forever, or N days. */
function ChannelRetentionRow({ channel, onSaved }: { channel: TChannelRow; onSaved: () => Promise<void> }) {
  const t = useTranslations("Retention");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const mode = channel.retentionDays === null ? "default" : channel.retentionDays === 0 ? "forever" : "days";
  const [choice, setChoice] = useState<"default" | "forever" | "days">(mode);
  const [days, setDays] = useState(channel.retentionDays ? String(channel.retentionDays) : "90");
  const save = useMutation(trpc.retention.setChannel.mutationOptions({ onSuccess: onSaved }));
  const label = `#${channel.name}`;
  return (
    <tr>
      <td>
        {label}
        {channel.kind === "private_channel" ? ` ${t("private")}` : ""}
        {channel.isArchived ? ` ${t("archived")}` : ""}
      </td>
      <td>{describeDays(channel.retentionDays, t)}</td>
      <td>
        <form
          className="row"
          aria-label={t("retentionOf", { label })}
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({
              conversationId: channel.conversationId,
              days: choice === "default" ? null : choice === "forever" ? 0 : daysOf(days),
            });
          }}
        >
          <select
            aria-label={t("keepOf", { label })}
            value={choice}
            onChange={(e) => setChoice(e.target.value as typeof choice)}
          >
            <option value="default">{t("workspaceDefault")}</option>
            <option value="forever">{t("forever")}</option>
            <option value="days">{t("numberOfDays")}</option>
          </select>
          {choice === "days" ? (
            <input
              type="number"
              aria-label={t("daysOf", { label })}
              min={1}
              max={36_500}
              step={1}
              value={days}
              onChange={(e) => setDays(e.target.value)}
            />
          ) : null}
          <button type="submit" disabled={save.isPending}>
            {t("saveRow")}
          </button>
          {save.error ? <small className="error">{errorText(save.error)}</small> : null}
        </form>
      </td>
    </tr>
  );
}

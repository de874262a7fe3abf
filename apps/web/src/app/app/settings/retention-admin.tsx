"use client";

/**
 * Admins: message retention — the workspace's default (keep forever, or delete messages older than
 * N days), per-channel overrides, and a dry run of what the hourly job would remove now. The
 * server enforces every rule (retention.* procedures); this only mirrors them.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Field, FormError } from "~/components/field";
import { fieldError, formErrorMessage } from "~/lib/field-errors";
import { useTRPC } from "~/trpc/react";
import { formatDate } from "./settings-shared";

/** A typed number of days as the server reads it: "" → NaN (refused with a field error), else the number. */
const daysOf = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));

/** How a retention reads in a table. */
const describeDays = (days: number | null) =>
  days === null ? "Workspace default" : days === 0 ? "Forever" : `${days} days`;

export function RetentionAdmin() {
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
    await queryClient.invalidateQueries(trpc.retention.settings.queryFilter());
    await queryClient.invalidateQueries(trpc.retention.preview.queryFilter());
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
      <h2 id="retention-heading">Message retention</h2>
      <p className="muted">
        Messages older than the retention are removed for good, with their files, reactions and pins, by a job
        that runs every hour. Channels may keep messages for a shorter or longer time.
      </p>
      <form
        className="form"
        aria-label="Workspace retention"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          save.mutate({ days: isForever ? 0 : daysOf(days) });
        }}
      >
        <fieldset className="field" disabled={!settings.data}>
          <legend>Keep messages</legend>
          <label className="check">
            <input type="radio" name="retention" checked={isForever} onChange={() => setForever(true)} />
            Forever
          </label>
          <label className="check">
            <input type="radio" name="retention" checked={!isForever} onChange={() => setForever(false)} />
            Delete messages older than a number of days
          </label>
        </fieldset>
        {isForever ? null : (
          <Field
            label="Days to keep messages"
            type="number"
            min={1}
            max={36_500}
            step={1}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            error={fieldError(save.error, "days")}
          />
        )}
        <FormError message={settings.error?.message ?? formErrorMessage(save.error, ["days"])} />
        <div className="row" style={{ alignItems: "center" }}>
          <button type="submit" className="primary" disabled={!settings.data || save.isPending}>
            Save retention
          </button>
          {saved ? <span role="status">Saved.</span> : null}
        </div>
      </form>

      <h3>Channels</h3>
      {settings.data && settings.data.channels.length > 0 ? (
        <table className="audit-table" aria-label="Channel retention">
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col">Keeps messages</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {settings.data.channels.map((channel) => (
              <ChannelRetentionRow key={channel.conversationId} channel={channel} onSaved={refresh} />
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No channels yet.</p>
      )}

      <h3>Dry run</h3>
      <p className="muted">What the job would remove if it ran now. Nothing is changed.</p>
      <button type="button" onClick={() => (isPreviewing ? void preview.refetch() : setPreviewing(true))}>
        {preview.isFetching ? "Counting…" : "Show what would be removed"}
      </button>
      <FormError message={preview.error?.message} />
      {preview.data ? (
        preview.data.length === 0 ? (
          <p role="status">Nothing: every conversation keeps its messages forever.</p>
        ) : (
          <table className="audit-table" aria-label="Retention dry run">
            <thead>
              <tr>
                <th scope="col">Conversation</th>
                <th scope="col">Keeps</th>
                <th scope="col">Messages removed</th>
                <th scope="col">Files removed</th>
                <th scope="col">Oldest kept</th>
              </tr>
            </thead>
            <tbody>
              {preview.data.map((row) => (
                <tr key={row.conversationId ?? `dms-${row.days}`}>
                  <td>{row.name}</td>
                  <td>{describeDays(row.days)}</td>
                  <td>{row.messages}</td>
                  <td>{row.files}</td>
                  <td>{row.oldestKeptAt ? formatDate(row.oldestKeptAt) : "none"}</td>
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
        {channel.kind === "private_channel" ? " (private)" : ""}
        {channel.isArchived ? " (archived)" : ""}
      </td>
      <td>{describeDays(channel.retentionDays)}</td>
      <td>
        <form
          className="row"
          aria-label={`Retention of ${label}`}
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({
              conversationId: channel.conversationId,
              days: choice === "default" ? null : choice === "forever" ? 0 : daysOf(days),
            });
          }}
        >
          <select
            aria-label={`Keep messages of ${label}`}
            value={choice}
            onChange={(e) => setChoice(e.target.value as typeof choice)}
          >
            <option value="default">Workspace default</option>
            <option value="forever">Forever</option>
            <option value="days">Number of days</option>
          </select>
          {choice === "days" ? (
            <input
              type="number"
              aria-label={`Days to keep messages of ${label}`}
              min={1}
              max={36_500}
              step={1}
              value={days}
              onChange={(e) => setDays(e.target.value)}
            />
          ) : null}
          <button type="submit" disabled={save.isPending}>
            Save
          </button>
          {save.error ? <small className="error">{save.error.message}</small> : null}
        </form>
      </td>
    </tr>
  );
}

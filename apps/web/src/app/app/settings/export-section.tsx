"use client";

/**
 * Settings → Export: everyone can export their own messages and files; the owner can also export
 * the workspace. Exports are built in the background (their progress is polled while one runs) and
 * downloaded through a link valid for a few minutes. The server decides who may (exports.*).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { FormError } from "~/components/field";
import { useTRPC } from "~/trpc/react";
import { formatDate } from "./settings-shared";

/** Bytes as a short size. */
function formatBytes(bytes: number | null): string {
  if (bytes === null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/** "1 message", "2 messages". */
const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

const STATUS_LABEL = {
  queued: "Waiting to start",
  running: "Being built",
  ready: "Ready",
  failed: "Failed",
  expired: "Expired",
} as const;

export function ExportSection({ isOwner }: { isOwner: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const exports = useQuery({
    ...trpc.exports.list.queryOptions(),
    // Poll while one is being built, so progress and "Ready" appear without a reload.
    refetchInterval: (query) =>
      query.state.data?.some((e) => e.status === "queued" || e.status === "running") ? 2_000 : false,
  });
  const refresh = () => queryClient.invalidateQueries(trpc.exports.list.queryFilter());
  const request = useMutation(trpc.exports.request.mutationOptions({ onSuccess: refresh }));
  const [links, setLinks] = useState<Record<string, string>>({});
  const [includePrivate, setIncludePrivate] = useState(false);
  const download = useMutation(
    trpc.exports.downloadUrl.mutationOptions({
      onSuccess: ({ url }, { id }) => {
        setLinks((prev) => ({ ...prev, [id]: url }));
        window.location.assign(url);
      },
    }),
  );
  return (
    <section className="card" aria-labelledby="export-heading">
      <h2 id="export-heading">Export</h2>
      <p className="muted">
        Download your messages (in every conversation you sent them in), the files you attached and your
        profile, as JSON lines and files in a .tar.gz archive. Archives are kept for 7 days.
      </p>
      {isOwner ? (
        <p className="muted">
          A workspace export holds every user (no passwords or other secrets), every public channel with its
          members, messages and files, and private channels by name and member count only. Direct messages and
          private channels' messages are not included: each person can export their own. The same content can
          be exported in Slack's export format (a .zip Slack and other tools can import; files are listed, not
          included).
        </p>
      ) : null}
      {isOwner ? (
        <label className="check">
          <input
            type="checkbox"
            checked={includePrivate}
            onChange={(e) => setIncludePrivate(e.target.checked)}
          />{" "}
          Include private channels, direct messages and group DMs in the Slack-format export (a full export:
          everyone's private conversations, for the owner alone. Use it only where your policies and the law
          allow it — people may have to be told. It is recorded in the audit log.)
        </label>
      ) : null}
      <div className="row">
        <button
          type="button"
          className="primary"
          onClick={() => request.mutate({ scope: "user" })}
          disabled={request.isPending}
        >
          Export my data
        </button>
        {isOwner ? (
          <button
            type="button"
            onClick={() => request.mutate({ scope: "workspace" })}
            disabled={request.isPending}
          >
            Export workspace
          </button>
        ) : null}
        {isOwner ? (
          <button
            type="button"
            onClick={() => request.mutate({ scope: "workspace", format: "slack", includePrivate })}
            disabled={request.isPending}
          >
            {includePrivate
              ? "Export all conversations in Slack's format"
              : "Export workspace in Slack's format"}
          </button>
        ) : null}
      </div>
      <FormError message={request.error?.message ?? download.error?.message ?? exports.error?.message} />
      {exports.data && exports.data.length > 0 ? (
        <ul className="list" aria-label="Exports" style={{ marginTop: "1rem" }}>
          {exports.data.map((e) => (
            <li key={e.id} aria-label={`${e.scope === "workspace" ? "Workspace" : "My data"} export ${e.id}`}>
              <div className="grow">
                <div>
                  <strong>
                    {e.scope === "workspace" ? "Workspace export" : "My data"}
                    {e.format === "slack"
                      ? e.includePrivate
                        ? " (Slack format, all conversations)"
                        : " (Slack format)"
                      : ""}
                  </strong>{" "}
                  <span className="tag" role="status">
                    {STATUS_LABEL[e.status]}
                  </span>
                </div>
                <div className="muted">
                  requested {formatDate(e.createdAt)}
                  {e.scope === "workspace" ? ` by ${e.requestedBy.name}` : ""}
                  {e.status === "running" && e.totalMessages !== null
                    ? ` · ${e.messages} of ${count(e.totalMessages, "message")}`
                    : ""}
                  {e.status === "ready"
                    ? ` · ${count(e.messages, "message")}, ${count(e.files, "file")}, ${formatBytes(e.bytes)} · until ${formatDate(e.expiresAt)}`
                    : ""}
                  {e.error ? ` · ${e.error}` : ""}
                </div>
                {links[e.id] ? (
                  <a href={links[e.id]} download={e.fileName ?? undefined}>
                    Download link (valid 5 minutes)
                  </a>
                ) : null}
              </div>
              {e.status === "ready" ? (
                <button
                  type="button"
                  onClick={() => download.mutate({ id: e.id })}
                  disabled={download.isPending}
                  aria-label={`Download ${e.fileName ?? "export"}`}
                >
                  Download
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

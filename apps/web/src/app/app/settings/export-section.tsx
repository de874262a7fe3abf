"use client";

/**
 * Settings → Export: everyone can export their own messages and files; the owner can also export
 * the workspace. Exports are built in the background (their progress is polled while one runs) and
 * downloaded through a link valid for a few minutes. The server decides who may (exports.*).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { FormError } from "~/components/field";
import { useFormats } from "~/i18n/format";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

export function ExportSection({ isOwner }: { isOwner: boolean }) {
  const t = useTranslations("Export");
  const fmt = useFormats();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const exports = useQuery({
    ...trpc.exports.list.queryOptions(),
    // Poll while one is being built, so progress and "Ready" appear without a reload.
    refetchInterval: (query) =>
      query.state.data?.some((e) => e.status === "queued" || e.status === "running") ? 2_000 : false,
  });
  // Also when the list's first load is still in flight (a click on a slow page): refetch.ts.
  const refresh = () => refetchFresh(queryClient, trpc.exports.list.queryFilter());
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
      <h2 id="export-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      {isOwner ? <p className="muted">{t("ownerIntro")}</p> : null}
      {isOwner ? (
        <label className="check">
          <input
            type="checkbox"
            checked={includePrivate}
            onChange={(e) => setIncludePrivate(e.target.checked)}
          />{" "}
          {t("includePrivate")}
        </label>
      ) : null}
      <div className="row">
        <button
          type="button"
          className="primary"
          onClick={() => request.mutate({ scope: "user" })}
          disabled={request.isPending}
        >
          {t("exportMine")}
        </button>
        {isOwner ? (
          <button
            type="button"
            onClick={() => request.mutate({ scope: "workspace" })}
            disabled={request.isPending}
          >
            {t("exportWorkspace")}
          </button>
        ) : null}
        {isOwner ? (
          <button
            type="button"
            onClick={() => request.mutate({ scope: "workspace", format: "slack", includePrivate })}
            disabled={request.isPending}
          >
            {includePrivate ? t("exportSlackAll") : t("exportSlack")}
          </button>
        ) : null}
      </div>
      <FormError error={request.error ?? download.error ?? exports.error} />
      {exports.data && exports.data.length > 0 ? (
        <ul className="list" aria-label={t("list")} style={{ marginTop: "1rem" }}>
          {exports.data.map((e) => (
            <li
              key={e.id}
              aria-label={
                e.scope === "workspace" ? t("workspaceItem", { id: e.id }) : t("mineItem", { id: e.id })
              }
            >
              <div className="grow">
                <div>
                  <strong>
                    {e.scope === "workspace" ? t("workspaceTitle") : t("mineTitle")}
                    {e.format === "slack"
                      ? ` ${e.includePrivate ? t("slackFormatAll") : t("slackFormat")}`
                      : ""}
                  </strong>{" "}
                  <span className="tag" role="status">
                    {t(`status.${e.status}`)}
                  </span>
                </div>
                <div className="muted">
                  {e.scope === "workspace"
                    ? t("requestedBy", { when: fmt.date(e.createdAt), name: e.requestedBy.name })
                    : t("requested", { when: fmt.date(e.createdAt) })}
                  {e.status === "running" && e.totalMessages !== null
                    ? ` · ${t("progress", { done: e.messages, total: e.totalMessages })}`
                    : ""}
                  {e.status === "ready"
                    ? ` · ${t("summary", {
                        messages: e.messages,
                        files: e.files,
                        size: e.bytes === null ? "" : fmt.bytes(e.bytes),
                        until: fmt.date(e.expiresAt),
                      })}`
                    : ""}
                  {e.error ? ` · ${e.error}` : ""}
                </div>
                {links[e.id] ? (
                  <a href={links[e.id]} download={e.fileName ?? undefined}>
                    {t("link")}
                  </a>
                ) : null}
              </div>
              {e.status === "ready" ? (
                <button
                  type="button"
                  onClick={() => download.mutate({ id: e.id })}
                  disabled={download.isPending}
                  aria-label={t("downloadName", { name: e.fileName ?? t("export") })}
                >
                  {t("download")}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

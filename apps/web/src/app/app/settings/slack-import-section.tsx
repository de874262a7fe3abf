"use client";

/**
 * Settings → Import from Slack (admins): upload the zip Slack's export produces, then watch the
 * import run in the background (its progress is polled while one runs). The zip goes straight to
 * storage through a presigned PUT (as attachments do); the server decides who may (slackImport.*)
 * and validates the whole export before writing anything.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useRef, useState } from "react";
import { FormError } from "~/components/field";
import { useFormats } from "~/i18n/format";
import { useErrorText } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { putWithProgress } from "~/lib/upload";
import { useTRPC } from "~/trpc/react";

/** Message keys (SlackImport.phase.*) of the phases the worker reports. */
const PHASES = new Set(["validating", "users", "messages", "done"]);

export function SlackImportSection() {
  const t = useTranslations("SlackImport");
  const errorText = useErrorText();
  const fmt = useFormats();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const imports = useQuery({
    ...trpc.slackImport.list.queryOptions(),
    refetchInterval: (query) =>
      query.state.data?.some((i) => i.status === "queued" || i.status === "running") ? 1_000 : false,
  });
  const refresh = () => refetchFresh(queryClient, trpc.slackImport.list.queryFilter());
  const create = useMutation(trpc.slackImport.create.mutationOptions());
  const start = useMutation(trpc.slackImport.start.mutationOptions({ onSuccess: refresh }));
  const fileInput = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  const upload = async () => {
    const file = fileInput.current?.files?.[0];
    if (!file) {
      setError(t("chooseFile"));
      return;
    }
    setError(null);
    try {
      const ticket = await create.mutateAsync({ fileName: file.name, size: file.size });
      await refresh();
      setProgress(0);
      await putWithProgress(ticket.upload, file, setProgress, new AbortController().signal);
      setProgress(null);
      await start.mutateAsync({ id: ticket.import.id });
      if (fileInput.current) fileInput.current.value = "";
    } catch (err) {
      setProgress(null);
      setError(errorText(err, t("uploadFailed")));
    }
  };

  return (
    <section className="card" aria-labelledby="slack-import-heading">
      <h2 id="slack-import-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      <div className="row">
        <input ref={fileInput} type="file" accept=".zip,application/zip" aria-label={t("file")} />
        <button
          type="button"
          className="primary"
          onClick={() => void upload()}
          disabled={create.isPending || start.isPending || progress !== null}
        >
          {t("import")}
        </button>
      </div>
      {progress !== null ? (
        <p className="muted" role="status">
          {t("uploading", { percent: fmt.number(Math.round(progress * 100)) })}
        </p>
      ) : null}
      <FormError message={error} error={imports.error} />
      {imports.data && imports.data.length > 0 ? (
        <ul className="list" aria-label={t("list")} style={{ marginTop: "1rem" }}>
          {imports.data.map((i) => (
            <li key={i.id} aria-label={t("item", { name: i.fileName })}>
              <div className="grow">
                <div>
                  <strong>{i.fileName}</strong>{" "}
                  <span className="tag" role="status">
                    {t(`status.${i.status}`)}
                  </span>
                </div>
                <div className="muted">
                  {t("started", {
                    size: fmt.bytes(i.size),
                    when: fmt.date(i.createdAt),
                    name: i.requestedBy.name,
                  })}
                  {i.status === "running"
                    ? ` · ${PHASES.has(i.phase) ? t(`phase.${i.phase}`) : i.phase}${
                        i.totalMessages !== null
                          ? ` · ${t("progress", { done: i.messages, total: i.totalMessages })}`
                          : ""
                      }`
                    : ""}
                  {i.status === "done" && i.summary
                    ? ` · ${[
                        t("imported", { count: i.summary.messages.imported }) +
                          (i.summary.messages.alreadyImported > 0
                            ? ` ${t("already", { count: i.summary.messages.alreadyImported })}`
                            : ""),
                        t("newConversations", { count: i.summary.conversations.created }),
                        t("added", { count: i.summary.users.created }),
                        t("matched", { count: i.summary.users.matched }),
                        i.summary.conversations.archived
                          ? t("archived", { count: i.summary.conversations.archived })
                          : null,
                        i.summary.filesImported
                          ? t("filesImported", { count: i.summary.filesImported })
                          : null,
                        i.summary.filesNotImported > 0
                          ? t("filesNotImported", { count: i.summary.filesNotImported })
                          : null,
                      ]
                        .filter(Boolean)
                        .join(t("separator"))}`
                    : ""}
                  {i.error ? ` · ${i.error}` : ""}
                </div>
                {i.summary?.notes.map((note) => (
                  <div className="muted" key={note}>
                    {note}
                  </div>
                ))}
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

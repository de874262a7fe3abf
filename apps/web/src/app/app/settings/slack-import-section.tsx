"use client";

/**
 * Settings → Import from Slack (admins): upload the zip Slack's export produces, then watch the
 * import run in the background (its progress is polled while one runs). The zip goes straight to
 * storage through a presigned PUT (as attachments do); the server decides who may (slackImport.*)
 * and validates the whole export before writing anything.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { FormError } from "~/components/field";
import { formatBytes, putWithProgress } from "~/lib/upload";
import { useTRPC } from "~/trpc/react";
import { formatDate } from "./settings-shared";

const STATUS_LABEL = {
  uploading: "Uploading",
  queued: "Waiting to start",
  running: "Importing",
  done: "Done",
  failed: "Failed",
} as const;

const PHASE_LABEL: Record<string, string> = {
  validating: "checking the export",
  users: "people",
  messages: "messages",
  done: "finishing",
};

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
const people = (n: number) => `${n} ${n === 1 ? "person" : "people"}`;

export function SlackImportSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const imports = useQuery({
    ...trpc.slackImport.list.queryOptions(),
    refetchInterval: (query) =>
      query.state.data?.some((i) => i.status === "queued" || i.status === "running") ? 1_000 : false,
  });
  const refresh = () => queryClient.invalidateQueries(trpc.slackImport.list.queryFilter());
  const create = useMutation(trpc.slackImport.create.mutationOptions());
  const start = useMutation(trpc.slackImport.start.mutationOptions({ onSuccess: refresh }));
  const fileInput = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  const upload = async () => {
    const file = fileInput.current?.files?.[0];
    if (!file) {
      setError("Choose the .zip file Slack gave you first");
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
      setError(err instanceof Error ? err.message : "The upload failed");
    }
  };

  return (
    <section className="card" aria-labelledby="slack-import-heading">
      <h2 id="slack-import-heading">Import from Slack</h2>
      <p className="muted">
        Upload the .zip of a Slack workspace export (Slack: Settings → Import/Export Data → Export). Public
        and private channels, direct messages, threads, reactions, pins and edits come across with their
        original times. People are matched by e-mail; anyone else is added deactivated — reactivate them in
        People and send them a password reset link. Files are not in Slack's export: each one leaves a "file
        not imported" note. Importing the same export again changes nothing.
      </p>
      <div className="row">
        <input ref={fileInput} type="file" accept=".zip,application/zip" aria-label="Slack export (.zip)" />
        <button
          type="button"
          className="primary"
          onClick={() => void upload()}
          disabled={create.isPending || start.isPending || progress !== null}
        >
          Import
        </button>
      </div>
      {progress !== null ? (
        <p className="muted" role="status">
          Uploading… {Math.round(progress * 100)}%
        </p>
      ) : null}
      <FormError message={error ?? imports.error?.message} />
      {imports.data && imports.data.length > 0 ? (
        <ul className="list" aria-label="Slack imports" style={{ marginTop: "1rem" }}>
          {imports.data.map((i) => (
            <li key={i.id} aria-label={`Slack import ${i.fileName}`}>
              <div className="grow">
                <div>
                  <strong>{i.fileName}</strong>{" "}
                  <span className="tag" role="status">
                    {STATUS_LABEL[i.status]}
                  </span>
                </div>
                <div className="muted">
                  {formatBytes(i.size)} · started {formatDate(i.createdAt)} by {i.requestedBy.name}
                  {i.status === "running"
                    ? ` · ${PHASE_LABEL[i.phase] ?? i.phase}${
                        i.totalMessages !== null
                          ? ` · ${i.messages} of ${count(i.totalMessages, "message")}`
                          : ""
                      }`
                    : ""}
                  {i.status === "done" && i.summary
                    ? ` · ${count(i.summary.messages.imported, "message")} imported` +
                      (i.summary.messages.alreadyImported > 0
                        ? ` (${i.summary.messages.alreadyImported} already there)`
                        : "") +
                      `, ${count(i.summary.conversations.created, "new conversation")}, ` +
                      `${people(i.summary.users.created)} added (deactivated), ${people(i.summary.users.matched)} matched` +
                      (i.summary.conversations.archived
                        ? `, ${count(i.summary.conversations.archived, "channel")} archived as in Slack`
                        : "") +
                      (i.summary.filesImported
                        ? `, ${count(i.summary.filesImported, "file")} imported`
                        : "") +
                      (i.summary.filesNotImported > 0
                        ? `, ${count(i.summary.filesNotImported, "file")} not imported`
                        : "")
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

"use client";

/**
 * Admins: how long after sending a message may be edited, and deleted by its sender (the
 * workspace's windows; the server refuses past them, and message menus hide the actions).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

/** Minutes typed → seconds sent: empty = always (null); anything unreadable goes as NaN (a field error). */
function toSeconds(minutes: string): number | null {
  if (minutes.trim() === "") return null;
  return Number(minutes) * 60;
}
const toMinutes = (seconds: number | null) => (seconds === null ? "" : String(seconds / 60));

export function MessageWindowsAdmin() {
  const fieldError = useFieldError();
  const t = useTranslations("MessageWindows");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.workspace.messageWindows.queryOptions());
  const [edit, setEdit] = useState("");
  const [del, setDel] = useState("");
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (current.data) {
      setEdit(toMinutes(current.data.editWindowSeconds));
      setDel(toMinutes(current.data.deleteWindowSeconds));
    }
  }, [current.data]);
  const save = useMutation(
    trpc.workspace.setMessageWindows.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await refetchFresh(queryClient, trpc.workspace.messageWindows.queryFilter());
      },
    }),
  );
  return (
    <section className="card" aria-labelledby="message-windows-heading">
      <h2 id="message-windows-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      <form
        className="form"
        aria-label={t("form")}
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          save.mutate({ editWindowSeconds: toSeconds(edit), deleteWindowSeconds: toSeconds(del) });
        }}
      >
        {(
          [
            [t("edit"), edit, setEdit, "editWindowSeconds"],
            [t("delete"), del, setDel, "deleteWindowSeconds"],
          ] as const
        ).map(([label, value, set, field]) => (
          <Field
            key={field}
            label={label}
            type="number"
            min={0}
            step="any"
            disabled={!current.data}
            value={value}
            onChange={(e) => set(e.target.value)}
            error={fieldError(save.error, field)}
          />
        ))}
        <FormError
          error={current.error ?? save.error}
          fields={["editWindowSeconds", "deleteWindowSeconds"]}
        />
        <div className="row" style={{ alignItems: "center" }}>
          <button type="submit" className="primary" disabled={!current.data || save.isPending}>
            {t("save")}
          </button>
          {saved ? <span role="status">{t("saved")}</span> : null}
        </div>
      </form>
    </section>
  );
}

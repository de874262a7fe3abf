"use client";

/** The admin sections of Settings: workspace, uploads and the audit log's link (people: people-admin.tsx). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { type FormEvent, useEffect, useState } from "react";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

export function WorkspaceAdmin() {
  const fieldError = useFieldError();
  const t = useTranslations("WorkspaceAdmin");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.workspace.status.queryOptions());
  const [name, setName] = useState("");
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (status.data) setName(status.data.name ?? "");
  }, [status.data]);
  const update = useMutation(
    trpc.workspace.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await refetchFresh(queryClient, trpc.workspace.status.queryFilter());
      },
    }),
  );
  return (
    <section className="card" aria-labelledby="workspace-heading">
      <h2 id="workspace-heading">{t("heading")}</h2>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(false);
          update.mutate({ name: name.trim() });
        }}
      >
        <Field
          label={t("name")}
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={80}
          error={fieldError(update.error, "name")}
        />
        <FormError error={update.error} fields={["name"]} />
        <div className="row" style={{ alignItems: "center" }}>
          <button type="submit" className="primary" disabled={update.isPending}>
            {t("save")}
          </button>
          {saved ? <span role="status">{t("saved")}</span> : null}
        </div>
      </form>
    </section>
  );
}

const MB = 1024 * 1024;

/** Bytes as MB (MiB) for the form: up to three decimals, no trailing zeros. */
function toMb(bytes: number): string {
  return String(Math.round((bytes / MB) * 1000) / 1000);
}

/** Lines of a textarea: trimmed, empty ones dropped. */
function linesOf(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

const isSameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

/** Admins: the workspace's upload limits over the server's defaults (never above its ceiling). */
export function UploadsAdmin() {
  const fieldError = useFieldError();
  const t = useTranslations("UploadsAdmin");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.workspace.uploadLimits.queryOptions());
  const [sizeMb, setSizeMb] = useState("");
  const [types, setTypes] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  useEffect(() => {
    if (settings.data) {
      setSizeMb(toMb(settings.data.effective.maxUploadBytes));
      setTypes(settings.data.effective.blockedTypes.join("\n"));
    }
  }, [settings.data]);
  const onSuccess = (message: string) => async () => {
    setSaved(message);
    await Promise.all([
      refetchFresh(queryClient, trpc.workspace.uploadLimits.queryFilter()),
      refetchFresh(queryClient, trpc.files.limits.queryFilter()),
    ]);
  };
  const save = useMutation(
    trpc.workspace.setUploadLimits.mutationOptions({ onSuccess: onSuccess(t("saved")) }),
  );
  const reset = useMutation(
    trpc.workspace.setUploadLimits.mutationOptions({ onSuccess: onSuccess(t("backToDefaults")) }),
  );
  const defaults = settings.data?.defaults;

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (!defaults) return;
    setSaved(null);
    reset.reset();
    const trimmed = sizeMb.trim();
    const bytes = trimmed === "" ? null : Math.round(Number(trimmed) * MB);
    const list = linesOf(types).map((type) => type.toLowerCase());
    // A value equal to the server's default follows the default (and its later changes).
    save.mutate({
      maxUploadBytes: bytes === null || bytes === defaults.maxUploadBytes ? null : bytes,
      blockedTypes: isSameSet(list, defaults.blockedTypes) ? null : list,
    });
  }

  const error = settings.error ?? save.error ?? reset.error;
  const blockedTypesError = fieldError(save.error, "blockedTypes");
  return (
    <section className="card" aria-labelledby="uploads-heading">
      <h2 id="uploads-heading">{t("heading")}</h2>
      {defaults ? (
        <p className="muted">
          {t("defaults", {
            size: toMb(defaults.maxUploadBytes),
            count: defaults.blockedTypes.length,
            ceiling: toMb(settings.data?.ceilingBytes ?? defaults.maxUploadBytes),
          })}
        </p>
      ) : (
        <p className="muted">{t("loading")}</p>
      )}
      <form className="form" onSubmit={onSubmit} aria-label={t("form")}>
        <Field
          label={t("maxSize")}
          type="number"
          min={0.001}
          step="any"
          value={sizeMb}
          onChange={(e) => setSizeMb(e.target.value)}
          hint={t("maxSizeHint")}
          error={fieldError(save.error, "maxUploadBytes")}
        />
        <div className="field">
          <label htmlFor="blocked-types">{t("blocked")}</label>
          <textarea
            id="blocked-types"
            rows={8}
            value={types}
            onChange={(e) => setTypes(e.target.value)}
            aria-describedby={
              blockedTypesError ? "blocked-types-error blocked-types-hint" : "blocked-types-hint"
            }
            aria-invalid={blockedTypesError ? true : undefined}
            spellCheck={false}
          />
          {blockedTypesError ? (
            <small id="blocked-types-error" className="error field-error">
              {blockedTypesError}
            </small>
          ) : null}
          <small id="blocked-types-hint" className="muted">
            {t("blockedHint")}
          </small>
        </div>
        <FormError error={error} />
        <div className="row" style={{ alignItems: "center" }}>
          <button type="submit" className="primary" disabled={!defaults || save.isPending}>
            {t("saveLimits")}
          </button>
          <button
            type="button"
            disabled={!defaults || reset.isPending}
            onClick={() => {
              setSaved(null);
              save.reset();
              reset.mutate({ maxUploadBytes: null, blockedTypes: null });
            }}
          >
            {t("reset")}
          </button>
          {saved ? <span role="status">{saved}</span> : null}
        </div>
      </form>
      {defaults ? (
        <details>
          <summary>{t("defaultBlocked")}</summary>
          <ul aria-label={t("defaultBlocked")}>
            {defaults.blockedTypes.map((type) => (
              <li key={type}>
                <code>{type}</code>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </section>
  );
}

/** A pointer to the audit log page (sign-ins, lockouts and every admin action). */
export function AuditLogAdmin() {
  const t = useTranslations("AuditLink");
  return (
    <section className="card" aria-labelledby="audit-link-heading">
      <h2 id="audit-link-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      <p>
        <Link href="/app/settings/audit-log">{t("open")}</Link>
      </p>
    </section>
  );
}

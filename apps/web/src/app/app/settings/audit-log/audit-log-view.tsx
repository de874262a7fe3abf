"use client";

/**
 * Settings → Audit log (admins): every admin action and security event, newest first, filtered by
 * action, actor and dates, paged by cursor ("Show more"), downloadable as CSV (the same filters,
 * /api/audit/export), and how long entries are kept. The server checks every call; a member who
 * opens this URL sees the server's refusal.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { type FormEvent, useEffect, useState } from "react";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";
import type { TRouterInputs } from "~/trpc/types";
import { When } from "../settings-shared";

type TAuditQuery = Omit<TRouterInputs["audit"]["list"], "cursor" | "limit">;
type TAuditAction = NonNullable<TAuditQuery["action"]>;
/** The form's values: an action from the server's list ("" = any), local dates (yyyy-mm-dd). */
type TFilters = { action: "" | TAuditAction; actor: string; from: string; to: string };
const EMPTY: TFilters = { action: "", actor: "", from: "", to: "" };

/** The filter as the server takes it: dates are local days, `to` inclusive (so: the next midnight). */
function toQuery(f: TFilters): TAuditQuery {
  const day = (value: string, plusDays = 0) => {
    const d = new Date(`${value}T00:00:00`);
    d.setDate(d.getDate() + plusDays);
    return d;
  };
  return {
    ...(f.action ? { action: f.action } : {}),
    ...(f.actor.trim() ? { actor: f.actor.trim() } : {}),
    ...(f.from ? { from: day(f.from) } : {}),
    ...(f.to ? { to: day(f.to, 1) } : {}),
  };
}

function exportHref(f: TFilters): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(toQuery(f))) {
    params.set(key, value instanceof Date ? value.toISOString() : String(value));
  }
  const qs = params.toString();
  return `/api/audit/export${qs ? `?${qs}` : ""}`;
}

function Retention() {
  const fieldError = useFieldError();
  const t = useTranslations("AuditLog");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const retention = useQuery(trpc.audit.retention.queryOptions());
  const [days, setDays] = useState("");
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    if (retention.data) setDays(String(retention.data.days));
  }, [retention.data]);
  const update = useMutation(
    trpc.workspace.update.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await refetchFresh(queryClient, trpc.audit.retention.queryFilter());
      },
    }),
  );
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setSaved(false);
    update.mutate({ auditRetentionDays: Number(days) });
  }
  return (
    <form className="row" onSubmit={onSubmit} aria-label={t("retentionForm")} style={{ alignItems: "end" }}>
      <Field
        label={t("keep")}
        type="number"
        min={0}
        max={36500}
        required
        value={days}
        onChange={(e) => setDays(e.target.value)}
        error={fieldError(update.error, "auditRetentionDays")}
      />
      <button type="submit" disabled={update.isPending || !retention.data}>
        {t("saveRetention")}
      </button>
      {saved ? <span role="status">{t("saved")}</span> : null}
      <FormError error={retention.error ?? update.error} fields={["auditRetentionDays"]} />
    </form>
  );
}

function Filters({ onApply }: { onApply: (f: TFilters) => void }) {
  const t = useTranslations("AuditLog");
  const trpc = useTRPC();
  const actions = useQuery(trpc.audit.actions.queryOptions());
  const [draft, setDraft] = useState<TFilters>(EMPTY);
  const set = (key: Exclude<keyof TFilters, "action">) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [key]: e.target.value }));
  return (
    <form
      className="row"
      aria-label={t("filterForm")}
      style={{ alignItems: "end", flexWrap: "wrap" }}
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <div className="field">
        <label htmlFor="audit-action">{t("action")}</label>
        <select
          id="audit-action"
          value={draft.action}
          onChange={(e) => {
            const value = e.target.value;
            setDraft((d) => ({ ...d, action: actions.data?.find((a) => a === value) ?? "" }));
          }}
        >
          <option value="">{t("anyAction")}</option>
          {(actions.data ?? []).map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      <Field label={t("actorFilter")} value={draft.actor} onChange={set("actor")} maxLength={320} />
      <Field label={t("from")} type="date" value={draft.from} onChange={set("from")} />
      <Field label={t("to")} type="date" value={draft.to} onChange={set("to")} />
      <button type="submit" className="primary">
        {t("apply")}
      </button>
      <button
        type="button"
        onClick={() => {
          setDraft(EMPTY);
          onApply(EMPTY);
        }}
      >
        {t("clear")}
      </button>
    </form>
  );
}

/** The target cell: its label (or id) and type. */
function targetText(e: { targetType: string | null; targetId: string | null; targetLabel: string | null }) {
  if (!e.targetType) return "";
  return `${e.targetType}: ${e.targetLabel || e.targetId || "?"}`;
}

export function AuditLogView() {
  const t = useTranslations("AuditLog");
  const trpc = useTRPC();
  const [filters, setFilters] = useState<TFilters>(EMPTY);
  const list = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(
      { ...toQuery(filters), limit: 50 },
      { getNextPageParam: (last) => last.nextCursor ?? undefined, retry: false },
    ),
  );
  const entries = list.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <div className="page">
      <p>
        <Link href="/app/settings">{t("back")}</Link>
      </p>
      <h1>{t("heading")}</h1>
      <section className="card" aria-labelledby="audit-heading">
        <h2 id="audit-heading">{t("entries")}</h2>
        <p className="muted">{t("intro")}</p>
        <Filters onApply={setFilters} />
        <p>
          <a href={exportHref(filters)} download>
            {t("csv")}
          </a>
        </p>
        <FormError error={list.error} />
        {list.data && entries.length === 0 ? <p className="muted">{t("none")}</p> : null}
        <div style={{ overflowX: "auto" }}>
          <table className="audit-table" aria-label={t("table")}>
            <thead>
              <tr>
                <th scope="col">{t("time")}</th>
                <th scope="col">{t("actor")}</th>
                <th scope="col">{t("action")}</th>
                <th scope="col">{t("target")}</th>
                <th scope="col">{t("address")}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.id} title={e.userAgent ?? undefined}>
                  <td>
                    <When value={e.at} />
                  </td>
                  <td>{e.actorLabel || "—"}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{targetText(e)}</td>
                  <td>{e.ip ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {list.hasNextPage ? (
          <p>
            <button
              type="button"
              onClick={() => void list.fetchNextPage()}
              disabled={list.isFetchingNextPage}
            >
              {t("more")}
            </button>
          </p>
        ) : null}
      </section>
      <section className="card" aria-labelledby="audit-retention-heading">
        <h2 id="audit-retention-heading">{t("retention")}</h2>
        <Retention />
      </section>
    </div>
  );
}

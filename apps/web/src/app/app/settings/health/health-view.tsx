"use client";

/**
 * Settings → Health (admins): the figures an operator without Prometheus needs, live — sockets
 * open now (every gateway process), messages a minute, delivery and ack times over the last hour,
 * resumes, gap repairs, rate-limit refusals and internal errors (tRPC `operations.health`, core
 * ops-stats.ts). Refreshed every 5 s, as often as the processes write their figures. The server
 * checks every call; a member who opens this URL sees the server's refusal.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { FormError } from "~/components/field";
import { useFormats } from "~/i18n/format";
import { useTRPC } from "~/trpc/react";
import type { TRouterOutputs } from "~/trpc/types";

type THealth = TRouterOutputs["operations"]["health"];

const REFRESH_MS = 5_000;

function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div style={{ minWidth: "9rem" }}>
      <dt className="muted">{label}</dt>
      <dd style={{ fontSize: "1.6rem", fontWeight: 600, margin: 0 }}>{value}</dd>
      {hint ? (
        <dd className="muted" style={{ margin: 0, fontSize: "0.85rem" }}>
          {hint}
        </dd>
      ) : null}
    </div>
  );
}

/** Messages per minute over the hour, one bar per minute (the last is the minute in progress). */
function MinuteBars({ minutes }: { minutes: THealth["minutes"] }) {
  const t = useTranslations("Health");
  const fmt = useFormats();
  const top = Math.max(1, ...minutes.map((m) => m.messages));
  const width = 4;
  return (
    <svg
      role="img"
      aria-label={t("bars", { minutes: minutes.length, top: fmt.number(top) })}
      viewBox={`0 0 ${60 * width} 40`}
      style={{ width: "100%", maxWidth: "30rem", height: "4rem" }}
      preserveAspectRatio="none"
    >
      {minutes.slice(-60).map((m, i, shown) => {
        const h = Math.max(m.messages > 0 ? 1 : 0, (m.messages / top) * 40);
        const x = (60 - shown.length + i) * width;
        return (
          <rect key={String(m.minute)} x={x} y={40 - h} width={width - 1} height={h} fill="currentColor">
            <title>{t("bar", { when: fmt.date(m.minute), count: m.messages })}</title>
          </rect>
        );
      })}
    </svg>
  );
}

export function HealthView() {
  const t = useTranslations("Health");
  const fmt = useFormats();
  const number = fmt.number;
  const ms = (value: number | null) => (value === null ? "—" : t("ms", { value: fmt.number(value) }));
  const trpc = useTRPC();
  const health = useQuery({ ...trpc.operations.health.queryOptions(), refetchInterval: REFRESH_MS });
  const h = health.data;
  return (
    <div className="page">
      <p>
        <Link href="/app/settings">{t("back")}</Link>
      </p>
      <h1>{t("heading")}</h1>
      <FormError error={health.error} />
      {h ? (
        <>
          <section className="card" aria-labelledby="health-now-heading">
            <h2 id="health-now-heading">{t("now")}</h2>
            <dl className="row" style={{ flexWrap: "wrap", gap: "1.5rem" }} aria-label={t("current")}>
              <Figure label={t("connections")} value={number(h.connections)} hint={t("connectionsHint")} />
              <Figure label={t("perMinute")} value={number(h.messagesPerMinute)} hint={t("perMinuteHint")} />
              <Figure
                label={t("delivery")}
                value={`${ms(h.deliver.p50Ms)} / ${ms(h.deliver.p99Ms)}`}
                hint={t("deliveryHint", { count: number(h.deliver.count) })}
              />
              <Figure
                label={t("ack")}
                value={`${ms(h.ack.p50Ms)} / ${ms(h.ack.p99Ms)}`}
                hint={t("ackHint", { count: number(h.ack.count) })}
              />
            </dl>
            <MinuteBars minutes={h.minutes} />
            <p className="muted" style={{ fontSize: "0.85rem" }}>
              {t("updated", { when: fmt.clock(h.at), seconds: REFRESH_MS / 1000 })}
            </p>
          </section>
          <section className="card" aria-labelledby="health-hour-heading">
            <h2 id="health-hour-heading">{t("lastHour")}</h2>
            <dl className="row" style={{ flexWrap: "wrap", gap: "1.5rem" }} aria-label={t("lastHour")}>
              <Figure label={t("messages")} value={number(h.lastHour.sent)} />
              <Figure label={t("connects")} value={number(h.lastHour.connects)} />
              <Figure label={t("resumes")} value={number(h.lastHour.resumes)} hint={t("resumesHint")} />
              <Figure label={t("gapRepairs")} value={number(h.lastHour.gapSyncs)} />
              <Figure
                label={t("rateLimited")}
                value={number(h.lastHour.rateLimited)}
                hint={t("rateLimitedHint")}
              />
              <Figure label={t("errors")} value={number(h.lastHour.internalErrors)} hint={t("errorsHint")} />
            </dl>
          </section>
          <section className="card" aria-labelledby="health-processes-heading">
            <h2 id="health-processes-heading">{t("processes")}</h2>
            <p className="muted">{t("processesIntro")}</p>
            <table className="audit-table" aria-label={t("processes")}>
              <thead>
                <tr>
                  <th scope="col">{t("process")}</th>
                  <th scope="col">{t("role")}</th>
                  <th scope="col">{t("connections")}</th>
                  <th scope="col">{t("started")}</th>
                </tr>
              </thead>
              <tbody>
                {h.processes.map((p) => (
                  <tr key={p.processId}>
                    <td>
                      <code>{p.processId.slice(0, 8)}</code>
                    </td>
                    <td>{p.role}</td>
                    <td>{number(p.connections)}</td>
                    <td>{fmt.date(p.startedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      ) : health.isPending ? (
        <p className="muted">{t("loading")}</p>
      ) : null}
    </div>
  );
}

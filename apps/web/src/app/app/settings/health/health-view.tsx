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
import { FormError } from "~/components/field";
import { useTRPC } from "~/trpc/react";
import type { TRouterOutputs } from "~/trpc/types";
import { formatDate } from "../settings-shared";

type THealth = TRouterOutputs["operations"]["health"];

const REFRESH_MS = 5_000;

const number = (n: number) => n.toLocaleString();
const ms = (value: number | null) => (value === null ? "—" : `${value.toLocaleString()} ms`);

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
  const top = Math.max(1, ...minutes.map((m) => m.messages));
  const width = 4;
  return (
    <svg
      role="img"
      aria-label={`Messages per minute over the last ${minutes.length} minutes, at most ${number(top)}`}
      viewBox={`0 0 ${60 * width} 40`}
      style={{ width: "100%", maxWidth: "30rem", height: "4rem" }}
      preserveAspectRatio="none"
    >
      {minutes.slice(-60).map((m, i, shown) => {
        const h = Math.max(m.messages > 0 ? 1 : 0, (m.messages / top) * 40);
        const x = (60 - shown.length + i) * width;
        return (
          <rect key={String(m.minute)} x={x} y={40 - h} width={width - 1} height={h} fill="currentColor">
            <title>{`${formatDate(m.minute)}: ${number(m.messages)} messages`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

export function HealthView() {
  const trpc = useTRPC();
  const health = useQuery({ ...trpc.operations.health.queryOptions(), refetchInterval: REFRESH_MS });
  const h = health.data;
  return (
    <div className="page">
      <p>
        <Link href="/app/settings">← Settings</Link>
      </p>
      <h1>Health</h1>
      <FormError message={health.error?.message} />
      {h ? (
        <>
          <section className="card" aria-labelledby="health-now-heading">
            <h2 id="health-now-heading">Now</h2>
            <dl className="row" style={{ flexWrap: "wrap", gap: "1.5rem" }} aria-label="Current figures">
              <Figure label="Connections" value={number(h.connections)} hint="sockets open now" />
              <Figure
                label="Messages / min"
                value={number(h.messagesPerMinute)}
                hint="in the last full minute"
              />
              <Figure
                label="Delivery p50 / p99"
                value={`${ms(h.deliver.p50Ms)} / ${ms(h.deliver.p99Ms)}`}
                hint={`send → delivered, last hour (${number(h.deliver.count)})`}
              />
              <Figure
                label="Ack p50 / p99"
                value={`${ms(h.ack.p50Ms)} / ${ms(h.ack.p99Ms)}`}
                hint={`send → ack, last hour (${number(h.ack.count)})`}
              />
            </dl>
            <MinuteBars minutes={h.minutes} />
            <p className="muted" style={{ fontSize: "0.85rem" }}>
              Updated {new Date(h.at).toLocaleTimeString()}; refreshes every {REFRESH_MS / 1000} s.
            </p>
          </section>
          <section className="card" aria-labelledby="health-hour-heading">
            <h2 id="health-hour-heading">Last hour</h2>
            <dl className="row" style={{ flexWrap: "wrap", gap: "1.5rem" }} aria-label="Last hour">
              <Figure label="Messages" value={number(h.lastHour.sent)} />
              <Figure label="Connects" value={number(h.lastHour.connects)} />
              <Figure label="Resumes" value={number(h.lastHour.resumes)} hint="reconnects that caught up" />
              <Figure label="Gap repairs" value={number(h.lastHour.gapSyncs)} />
              <Figure label="Rate-limited" value={number(h.lastHour.rateLimited)} hint="refused requests" />
              <Figure
                label="Errors"
                value={number(h.lastHour.internalErrors)}
                hint="internal, see the logs"
              />
            </dl>
          </section>
          <section className="card" aria-labelledby="health-processes-heading">
            <h2 id="health-processes-heading">Processes</h2>
            <p className="muted">
              Every server process that reported in the last 20 seconds. A restarted process starts a fresh
              hour.
            </p>
            <table className="audit-table" aria-label="Processes">
              <thead>
                <tr>
                  <th scope="col">Process</th>
                  <th scope="col">Role</th>
                  <th scope="col">Connections</th>
                  <th scope="col">Started</th>
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
                    <td>{formatDate(p.startedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        </>
      ) : health.isPending ? (
        <p className="muted">Loading…</p>
      ) : null}
    </div>
  );
}

"use client";

/**
 * Settings → Notifications: the global level, keywords, do-not-disturb (now for N hours, and a
 * daily window in a time zone), e-mail, and web push on this browser. Each change is saved at once
 * (`notifications.*`); per-conversation levels live in each conversation's "⋯" menu.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { Field, FormError } from "~/components/field";
import { fieldError, formErrorMessage } from "~/lib/field-errors";
import { canPush, currentPushSubscription, disablePush, enablePush } from "~/lib/push";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import { formatDate } from "./settings-shared";

const LEVELS = [
  { value: "dms_and_mentions", label: "Direct messages, mentions and keywords" },
  { value: "mentions", label: "Mentions and keywords only" },
  { value: "nothing", label: "Nothing" },
] as const;

const toTime = (minute: number | null) =>
  minute === null
    ? ""
    : `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
const toMinute = (time: string) => {
  const [h, m] = time.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

function PushOnThisBrowser() {
  const client = useTRPCClient();
  const [state, setState] = useState<"unknown" | "on" | "off" | "denied" | "unsupported">("unknown");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!canPush()) return setState("unsupported");
    void currentPushSubscription().then((s) => setState(s ? "on" : "off"));
  }, []);
  const run = (action: () => Promise<unknown>) => {
    setError(null);
    void action().catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  };
  return (
    <div className="field">
      <p>
        Push on this browser:{" "}
        <strong data-testid="push-state">
          {state === "on"
            ? "on"
            : state === "unsupported"
              ? "not supported here"
              : state === "denied"
                ? "blocked"
                : "off"}
        </strong>
      </p>
      {state === "on" ? (
        <button
          type="button"
          onClick={() =>
            run(async () => {
              await disablePush(client);
              setState("off");
            })
          }
        >
          Turn off push on this browser
        </button>
      ) : state === "unsupported" ? null : (
        <button type="button" onClick={() => run(async () => setState(await enablePush(client)))}>
          Turn on push on this browser
        </button>
      )}
      <FormError message={error} />
    </div>
  );
}

/** The Notifications card of the settings page. */
export function NotificationSettings() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.notifications.settings.queryOptions());
  const onSuccess = (data: unknown) =>
    queryClient.setQueryData(trpc.notifications.settings.queryKey(), data as never);
  const update = useMutation(trpc.notifications.updateSettings.mutationOptions({ onSuccess }));
  const dnd = useMutation(trpc.notifications.setDoNotDisturb.mutationOptions({ onSuccess }));
  const s = settings.data;
  if (!s)
    return (
      <section className="card" aria-labelledby="notif-heading">
        <h2 id="notif-heading">Notifications</h2>
        <p className="muted">Loading…</p>
      </section>
    );
  const isPaused = s.dndUntil !== null && new Date(s.dndUntil).getTime() > Date.now();
  const hasWindow = s.dndStartMinute !== null && s.dndEndMinute !== null;

  function saveKeywords(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const raw = String(new FormData(e.currentTarget).get("keywords") ?? "");
    update.mutate({
      keywords: raw
        .split(",")
        .map((k) => k.trim())
        .filter(Boolean),
    });
  }
  function saveWindow(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const isOn = form.get("windowOn") === "on";
    update.mutate({
      dndSchedule: isOn
        ? { startMinute: toMinute(String(form.get("start"))), endMinute: toMinute(String(form.get("end"))) }
        : { startMinute: null, endMinute: null },
      timeZone: String(form.get("timeZone")),
    });
  }

  return (
    <section className="card" aria-labelledby="notif-heading">
      <h2 id="notif-heading">Notifications</h2>
      <fieldset>
        <legend>Notify me about</legend>
        {LEVELS.map((l) => (
          <label key={l.value} className="row">
            <input
              type="radio"
              name="level"
              value={l.value}
              checked={s.level === l.value}
              onChange={() => update.mutate({ level: l.value })}
            />
            {l.label}
          </label>
        ))}
      </fieldset>
      <form className="row" onSubmit={saveKeywords} aria-label="Keywords">
        <Field
          label="Keywords that count as mentions (comma-separated)"
          name="keywords"
          defaultValue={s.keywords.join(", ")}
          key={s.keywords.join(",")}
          error={fieldError(update.error, "keywords")}
        />
        <button type="submit">Save keywords</button>
      </form>
      <div className="field">
        <p>
          Do not disturb:{" "}
          <strong data-testid="dnd-state">
            {isPaused ? `paused until ${formatDate(s.dndUntil)}` : "off"}
          </strong>
        </p>
        <div className="row">
          {isPaused ? (
            <button type="button" onClick={() => dnd.mutate({ hours: null })}>
              Resume notifications
            </button>
          ) : (
            [1, 2, 8, 24].map((hours) => (
              <button key={hours} type="button" onClick={() => dnd.mutate({ hours })}>
                Pause for {hours} {hours === 1 ? "hour" : "hours"}
              </button>
            ))
          )}
        </div>
      </div>
      <form
        onSubmit={saveWindow}
        aria-label="Daily do not disturb"
        key={`${s.dndStartMinute}-${s.dndEndMinute}-${s.timeZone}`}
      >
        <label className="row">
          <input type="checkbox" name="windowOn" defaultChecked={hasWindow} /> Every day, do not disturb
        </label>
        <div className="row">
          <Field label="From" name="start" type="time" defaultValue={toTime(s.dndStartMinute) || "22:00"} />
          <Field label="To" name="end" type="time" defaultValue={toTime(s.dndEndMinute) || "08:00"} />
          <Field
            label="Time zone"
            name="timeZone"
            defaultValue={
              hasWindow || s.timeZone !== "UTC"
                ? s.timeZone
                : Intl.DateTimeFormat().resolvedOptions().timeZone
            }
            error={fieldError(update.error, "timeZone")}
          />
        </div>
        <button type="submit">Save schedule</button>
      </form>
      <label className="row">
        <input
          type="checkbox"
          checked={s.emailEnabled}
          onChange={(e) => update.mutate({ emailEnabled: e.target.checked })}
        />
        E-mail me about direct messages and mentions I have not read
      </label>
      <PushOnThisBrowser />
      <FormError message={formErrorMessage(update.error, ["keywords", "timeZone"]) ?? dnd.error?.message} />
    </section>
  );
}

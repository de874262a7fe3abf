"use client";

/**
 * Settings → Notifications: the global level, keywords, do-not-disturb (now for N hours, and a
 * daily window in a time zone), e-mail, and web push on this browser. Each change is saved at once
 * (`notifications.*`); per-conversation levels live in each conversation's "⋯" menu.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type FormEvent, useEffect, useState } from "react";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { canPush, currentPushSubscription, disablePush, enablePush } from "~/lib/push";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import { When } from "./settings-shared";

const LEVELS = [{ value: "dms_and_mentions" }, { value: "mentions" }, { value: "nothing" }] as const;

const toTime = (minute: number | null) =>
  minute === null
    ? ""
    : `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
const toMinute = (time: string) => {
  const [h, m] = time.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

function PushOnThisBrowser() {
  const t = useTranslations("Notifications");
  const client = useTRPCClient();
  const [state, setState] = useState<"unknown" | "on" | "off" | "denied" | "unsupported">("unknown");
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!canPush()) return setState("unsupported");
    void currentPushSubscription().then((s) => setState(s ? "on" : "off"));
  }, []);
  const run = (action: () => Promise<unknown>) => {
    setError(null);
    void action().catch((err: unknown) => setError(err));
  };
  return (
    <div className="field">
      <p>
        {t("pushState")}{" "}
        <strong data-testid="push-state">{t(`push.${state === "unknown" ? "off" : state}`)}</strong>
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
          {t("pushOff")}
        </button>
      ) : state === "unsupported" ? null : (
        <button type="button" onClick={() => run(async () => setState(await enablePush(client)))}>
          {t("pushOn")}
        </button>
      )}
      <FormError error={error} />
    </div>
  );
}

/** The Notifications card of the settings page. */
export function NotificationSettings() {
  const fieldError = useFieldError();
  const t = useTranslations("Notifications");
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
        <h2 id="notif-heading">{t("heading")}</h2>
        <p className="muted">{t("loading")}</p>
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
      <h2 id="notif-heading">{t("heading")}</h2>
      <fieldset>
        <legend>{t("notifyAbout")}</legend>
        {LEVELS.map((l) => (
          <label key={l.value} className="row">
            <input
              type="radio"
              name="level"
              value={l.value}
              checked={s.level === l.value}
              onChange={() => update.mutate({ level: l.value })}
            />
            {t(`levels.${l.value}`)}
          </label>
        ))}
      </fieldset>
      <form className="row" onSubmit={saveKeywords} aria-label={t("keywords")}>
        <Field
          label={t("keywordsLabel")}
          name="keywords"
          defaultValue={s.keywords.join(", ")}
          key={s.keywords.join(",")}
          error={fieldError(update.error, "keywords")}
        />
        <button type="submit">{t("saveKeywords")}</button>
      </form>
      <div className="field">
        <p>
          {t("dnd")}{" "}
          <strong data-testid="dnd-state">
            {isPaused ? t.rich("pausedUntil", { when: () => <When value={s.dndUntil} /> }) : t("off")}
          </strong>
        </p>
        <div className="row">
          {isPaused ? (
            <button type="button" onClick={() => dnd.mutate({ hours: null })}>
              {t("resume")}
            </button>
          ) : (
            [1, 2, 8, 24].map((hours) => (
              <button key={hours} type="button" onClick={() => dnd.mutate({ hours })}>
                {t("pauseFor", { hours })}
              </button>
            ))
          )}
        </div>
      </div>
      <form
        onSubmit={saveWindow}
        aria-label={t("daily")}
        key={`${s.dndStartMinute}-${s.dndEndMinute}-${s.timeZone}`}
      >
        <label className="row">
          <input type="checkbox" name="windowOn" defaultChecked={hasWindow} /> {t("everyDay")}
        </label>
        <div className="row">
          <Field
            label={t("from")}
            name="start"
            type="time"
            defaultValue={toTime(s.dndStartMinute) || "22:00"}
          />
          <Field label={t("to")} name="end" type="time" defaultValue={toTime(s.dndEndMinute) || "08:00"} />
          <Field
            label={t("timeZone")}
            name="timeZone"
            defaultValue={
              hasWindow || s.timeZone !== "UTC"
                ? s.timeZone
                : Intl.DateTimeFormat().resolvedOptions().timeZone
            }
            error={fieldError(update.error, "timeZone")}
          />
        </div>
        <button type="submit">{t("saveSchedule")}</button>
      </form>
      <label className="row">
        <input
          type="checkbox"
          checked={s.emailEnabled}
          onChange={(e) => update.mutate({ emailEnabled: e.target.checked })}
        />
        {t("email")}
      </label>
      <PushOnThisBrowser />
      <FormError error={update.error ?? dnd.error} fields={["keywords", "timeZone"]} />
    </section>
  );
}

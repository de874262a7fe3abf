"use client";

/**
 * The tab's reminder notices, bottom right (lib/later-data.ts keeps them): a fired reminder —
 * "Reminder: <sender>: <text>" with a link to the message and Dismiss, kept until dismissed — and
 * short confirmations ("Reminder set for …") that go by themselves. One polite live region, so a
 * screen reader hears each as it comes without losing its place.
 */
import "~/styles/saved.css";
import Link from "next/link";
import { useTranslations } from "next-intl";
import { useEffect, useRef } from "react";
import { dismissLaterNotice, notifyDesktop, useLaterNotices } from "~/lib/later-data";
import { firedText, laterHref } from "~/lib/later-format";

export function LaterNotices() {
  const t = useTranslations("Later");
  const notices = useLaterNotices();
  // Each fired reminder also goes to the desktop once (when the tab is hidden), in the same words.
  const notified = useRef(new Set<string>());
  useEffect(() => {
    for (const n of notices) {
      if (n.kind !== "fired" || notified.current.has(n.id)) continue;
      notified.current.add(n.id);
      notifyDesktop(
        n.payload,
        t("desktopTitle"),
        firedText(n.payload, (key, values) => t(key, values)),
      );
    }
  }, [notices, t]);
  return (
    <section className="later-notices" aria-label={t("reminders")}>
      <div role="status" aria-live="polite">
        <ul>
          {notices.map((n) => (
            <li key={n.id} className={n.kind === "fired" ? "later-notice fired" : "later-notice"}>
              {n.kind === "fired" ? (
                <>
                  <span aria-hidden="true">⏰</span>
                  <span className="later-notice-text">
                    {firedText(n.payload, (key, values) => t(key, values))}
                  </span>
                  {n.payload.message ? (
                    <Link href={laterHref(n.payload.message)} onClick={() => dismissLaterNotice(n.id)}>
                      {t("viewMessage")}
                    </Link>
                  ) : null}
                  <button
                    type="button"
                    className="quiet"
                    aria-label={t("dismiss")}
                    onClick={() => dismissLaterNotice(n.id)}
                  >
                    ✕
                  </button>
                </>
              ) : (
                <span className="later-notice-text">{n.text}</span>
              )}
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}

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
import { dismissLaterNotice, useLaterNotices } from "~/lib/later-data";
import { laterHref } from "~/lib/later-format";

export function LaterNotices() {
  const t = useTranslations("Later");
  const notices = useLaterNotices();
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
                    {n.payload.message
                      ? n.payload.message.excerpt
                        ? t("firedExcerpt", {
                            name: n.payload.message.senderName,
                            excerpt: n.payload.message.excerpt,
                          })
                        : t("fired", { name: n.payload.message.senderName })
                      : t("firedGone")}
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

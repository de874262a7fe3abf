"use client";

import { useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import { dismissNotificationOffer, shouldOfferNotifications } from "~/lib/notifications";
import { canPush, enablePush } from "~/lib/push";
import { useTRPCClient } from "~/trpc/react";

/**
 * A dismissable offer to enable notifications; the browser is asked only on a click. Where the
 * browser can, this also subscribes it to web push, so DMs and mentions arrive with the tab closed.
 */
export function NotificationPrompt() {
  const t = useTranslations("NotificationPrompt");
  const client = useTRPCClient();
  const [isShown, setShown] = useState(false);
  // After mount only: the server render cannot know the permission, and asking waits for a click.
  useEffect(() => setShown(shouldOfferNotifications()), []);
  if (!isShown) return null;
  return (
    <section className="notif-prompt" aria-label={t("label")}>
      <p>{t.rich("question", { strong: (chunks) => <strong>{chunks}</strong> })}</p>
      <div className="row">
        <button
          type="button"
          className="primary"
          onClick={() => {
            const asked = canPush() ? enablePush(client) : Notification.requestPermission();
            void asked.catch(() => undefined).finally(() => setShown(shouldOfferNotifications()));
          }}
        >
          {t.rich("turnOn", { hidden: (chunks) => <span className="visually-hidden">{chunks}</span> })}
        </button>
        <button
          type="button"
          className="quiet"
          onClick={() => {
            dismissNotificationOffer();
            setShown(false);
          }}
        >
          {t("notNow")}
        </button>
      </div>
    </section>
  );
}

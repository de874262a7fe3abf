"use client";

import { useTranslations } from "next-intl";
import { useRealtime } from "~/lib/realtime-context";

/**
 * Says when live updates are not flowing and why (the SDK's state and reason). Silent while the
 * first connection is being made and while connected; messages typed meanwhile wait in the outbox.
 */
export function ConnectionBanner() {
  const t = useTranslations("Connection");
  const { status } = useRealtime();
  const isDown =
    status.state === "reconnecting" ||
    status.state === "closed" ||
    (status.state === "connecting" && status.hasBeenOpen);
  return (
    <div role="status" aria-live="polite" className={isDown ? "connection-banner" : "visually-hidden"}>
      {isDown ? (
        <>
          <strong>{status.state === "closed" ? t("offline") : t("reconnecting")}</strong> {t("kept")}{" "}
          <span className="reason">({status.reason})</span>
        </>
      ) : null}
    </div>
  );
}

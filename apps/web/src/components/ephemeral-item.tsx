"use client";

import { useTranslations } from "next-intl";
import { useId } from "react";
import { useFormats } from "~/i18n/format";
import type { TEphemeral } from "~/lib/ephemeral";
import { MessageBody } from "./message-body";
import type { TArticleProps } from "./message-item";

/**
 * A message only this user sees (a slash command's answer or failure, lib/ephemeral.ts): marked
 * "Only visible to you", dismissable, gone on reload — as Slack shows them.
 */
export function EphemeralItem({
  e,
  onDismiss,
  names,
  meId,
  article,
}: {
  e: TEphemeral;
  onDismiss: () => void;
  names?: ReadonlyMap<string, string>;
  meId?: string;
  article?: TArticleProps;
}) {
  const t = useTranslations("Ephemeral");
  const fmt = useFormats();
  const ids = useId();
  return (
    <article
      className="msg ephemeral"
      aria-labelledby={`${ids}-meta`}
      aria-describedby={`${ids}-body`}
      {...article}
      data-ephemeral-id={e.id}
    >
      <div className="meta" id={`${ids}-meta`}>
        <span className="sender">{e.senderName}</span> <span className="tag">{t("bot")}</span>{" "}
        <time dateTime={e.at}>{fmt.time(e.at)}</time>{" "}
        <span className="state">
          {t("onlyYou")} · /{e.command}{" "}
          <button type="button" className="link" onClick={onDismiss}>
            {t("dismiss")}
          </button>
        </span>
      </div>
      <div className="body" id={`${ids}-body`}>
        <MessageBody text={e.body} names={names} meId={meId} />
      </div>
    </article>
  );
}

"use client";

import { useId } from "react";
import type { TEphemeral } from "~/lib/ephemeral";
import { MessageBody } from "./message-body";
import { formatTime, type TArticleProps } from "./message-item";

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
        <span className="sender">{e.senderName}</span> <span className="tag">bot</span>{" "}
        <time dateTime={e.at}>{formatTime(e.at)}</time>{" "}
        <span className="state">
          Only visible to you · /{e.command}{" "}
          <button type="button" className="link" onClick={onDismiss}>
            Dismiss
          </button>
        </span>
      </div>
      <div className="body" id={`${ids}-body`}>
        <MessageBody text={e.body} names={names} meId={meId} />
      </div>
    </article>
  );
}

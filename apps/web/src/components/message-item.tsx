"use client";

import { useState } from "react";
import type { TPendingMessage, useMessageActions } from "~/lib/chat-data";
import { QUICK_REACTIONS } from "~/lib/chat-data";
import { decodeMentions, encodeMentions, mentionables } from "~/lib/mentions";
import type { TMessage } from "~/trpc/types";
import { AttachmentList } from "./attachments";
import { MessageBody } from "./message-body";

export function formatTime(value: Date | string): string {
  const d = new Date(value);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

export type TMessageActions = ReturnType<typeof useMessageActions>;

/** Who reacted, for a chip's tooltip: names of members, "You" for the reader. */
function reactorNames(userIds: readonly string[], meId: string, names: ReadonlyMap<string, string>): string {
  return userIds.map((id) => (id === meId ? "You" : (names.get(id) ?? "Someone"))).join(", ");
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : "Something went wrong";
}

/** Inline editor: Enter saves, Shift+Enter is a newline, Escape cancels. */
function EditBox({
  initial,
  onSave,
  onCancel,
}: {
  initial: string;
  onSave: (body: string) => Promise<unknown>;
  onCancel: () => void;
}) {
  const [text, setText] = useState(initial);
  const [isSaving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function save() {
    const body = text.trim();
    if (!body || isSaving) return;
    if (body === initial.trim()) return onCancel();
    setSaving(true);
    try {
      await onSave(body);
      onCancel();
    } catch (err) {
      setError(errorText(err));
      setSaving(false);
    }
  }

  return (
    <div className="edit-box">
      <textarea
        aria-label="Edit message"
        // biome-ignore lint/a11y/noAutofocus: the user just asked to edit this message
        autoFocus
        rows={2}
        value={text}
        disabled={isSaving}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            onCancel();
          } else if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void save();
          }
        }}
      />
      <div className="hint">
        Enter to save · Escape to cancel{" "}
        <button type="button" className="link" onClick={() => void save()} disabled={isSaving}>
          Save
        </button>{" "}
        <button type="button" className="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function MessageItem({
  m,
  isGrouped,
  meId,
  names,
  canAct,
  actions,
}: {
  m: TMessage;
  isGrouped: boolean;
  meId: string;
  names: ReadonlyMap<string, string>;
  /** A member of a conversation that is not archived: may react (and edit/delete own messages). */
  canAct: boolean;
  actions: TMessageActions;
}) {
  const [mode, setMode] = useState<"view" | "edit" | "confirm-delete">("view");
  const [error, setError] = useState<string | null>(null);
  const isMine = m.senderId === meId;
  const isLive = !m.deletedAt;
  const run = (p: Promise<unknown>) => {
    setError(null);
    p.catch((err: unknown) => setError(errorText(err)));
  };
  const mine = new Set(m.reactions.filter((r) => r.userIds.includes(meId)).map((r) => r.emoji));

  return (
    <li className={isGrouped ? "msg grouped" : "msg"} data-seq={m.seq} data-client-msg-id={m.clientMsgId}>
      <div className={isGrouped ? "meta visually-hidden" : "meta"}>
        <span className="sender">{m.senderName}</span>
        <time dateTime={new Date(m.createdAt).toISOString()}>{formatTime(m.createdAt)}</time>
      </div>
      {mode === "edit" && isLive ? (
        <EditBox
          initial={decodeMentions(m.body, names)}
          onSave={(body) => actions.edit(m.id, encodeMentions(body, mentionables(names)))}
          onCancel={() => setMode("view")}
        />
      ) : (
        <div className="body">
          {m.deletedAt ? (
            <em className="muted">This message was deleted.</em>
          ) : (
            <MessageBody text={m.body} names={names} meId={meId} />
          )}
          {m.editedAt && isLive ? <span className="edited"> (edited)</span> : null}
        </div>
      )}
      {isLive ? <AttachmentList attachments={m.attachments} /> : null}
      {isLive && m.reactions.length > 0 ? (
        <ul className="reactions" aria-label="Reactions">
          {m.reactions.map((r) => (
            <li key={r.emoji}>
              <button
                type="button"
                className="chip"
                aria-pressed={mine.has(r.emoji)}
                aria-label={`${r.emoji} ${r.count}`}
                title={reactorNames(r.userIds, meId, names)}
                disabled={!canAct}
                onClick={() => run(actions.toggleReaction(m.id, r.emoji, mine.has(r.emoji)))}
              >
                <span aria-hidden="true">{r.emoji}</span> <span aria-hidden="true">{r.count}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {isLive && canAct && mode !== "edit" ? (
        <div className="msg-actions">
          {mode === "confirm-delete" ? (
            <span>
              Delete this message?{" "}
              <button type="button" className="danger" onClick={() => run(actions.remove(m.id))}>
                Delete
              </button>{" "}
              <button type="button" onClick={() => setMode("view")}>
                Cancel
              </button>
            </span>
          ) : (
            <>
              {QUICK_REACTIONS.map((emoji) => (
                <button
                  key={emoji}
                  type="button"
                  className="quiet"
                  aria-label={`Add reaction ${emoji}`}
                  title={`React with ${emoji}`}
                  disabled={mine.has(emoji)}
                  onClick={() => run(actions.toggleReaction(m.id, emoji, false))}
                >
                  {emoji}
                </button>
              ))}
              {isMine ? (
                <>
                  <button type="button" className="quiet" onClick={() => setMode("edit")}>
                    Edit<span className="visually-hidden"> message</span>
                  </button>
                  <button type="button" className="quiet" onClick={() => setMode("confirm-delete")}>
                    Delete<span className="visually-hidden"> message</span>
                  </button>
                </>
              ) : null}
            </>
          )}
        </div>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </li>
  );
}

export function PendingItem({
  p,
  senderName,
  onRetry,
  names,
  meId,
}: {
  p: TPendingMessage;
  senderName: string;
  onRetry: () => void;
  /** For mention pills (see MessageBody). */
  names?: ReadonlyMap<string, string>;
  meId?: string;
}) {
  return (
    <li
      className={`msg pending ${p.status}`}
      aria-busy={p.status === "sending"}
      data-status={p.status}
      data-client-msg-id={p.clientMsgId}
    >
      <div className="meta">
        <span className="sender">{senderName}</span>
        {p.status === "sending" ? (
          <span className="state">Sending…</span>
        ) : p.status === "sent" ? null : (
          <span className="state" role="alert">
            Not sent{p.error ? `: ${p.error}` : ""}.{" "}
            <button type="button" className="link" onClick={onRetry}>
              Retry
            </button>
          </span>
        )}
      </div>
      <div className="body">
        <MessageBody text={p.body} names={names} meId={meId} />
        {p.attachmentCount > 0 ? (
          <span className="muted">
            {" "}
            📎 {p.attachmentCount} {p.attachmentCount === 1 ? "file" : "files"}
          </span>
        ) : null}
      </div>
    </li>
  );
}

"use client";

import { useTranslations } from "next-intl";
import { createContext, type ReactNode, useContext, useEffect, useId, useRef, useState } from "react";
import { useFormats } from "~/i18n/format";
import { useErrorText } from "~/i18n/server-errors";
import type { useMessageActions } from "~/lib/chat-data";
import { useIsSaved } from "~/lib/later-data";
import { decodeMentions, encodeMentions, mentionables } from "~/lib/mentions";
import { useMessageWindows } from "~/lib/message-windows";
import type { TPendingMessage } from "~/lib/outbox";
import { useMemberAvatars } from "~/lib/people";
import type { TMessage } from "~/trpc/types";
import { AttachmentList } from "./attachments";
import { Avatar } from "./avatar";
import { EditBox } from "./edit-box";
import { EmojiGlyph } from "./emoji-glyph";
import { LaterActions } from "./later-actions";
import { LinkPreviewCard } from "./link-preview";
import { MessageBody } from "./message-body";
import { QUICK_REACTIONS, ReactionPicker } from "./reaction-picker";
import { ReadReceipt, type TRowReceipts } from "./read-receipt";

export type TMessageActions = ReturnType<typeof useMessageActions>;

type TT = (key: "you" | "someone") => string;

/** Who reacted, for a chip's tooltip: names of members, "You" for the reader. */
function reactorNames(userIds: readonly string[], meId: string, names: ReadonlyMap<string, string>, t: TT) {
  return userIds.map((id) => (id === meId ? t("you") : (names.get(id) ?? t("someone")))).join(", ");
}

/** What a message row needs from the view it is in (channel history or the thread panel). */
export type TMessageContext = {
  conversationId: string;
  /** Workspace admins and owners may delete anyone's message (the server allows it too). */
  canDeleteAny: boolean;
  /** Opens a message's thread; absent inside the thread panel itself. */
  openThread?: (rootId: string) => void;
  /** Read receipts of the conversation (read-receipt.tsx), in the history and the thread panel; absent while loading. */
  receipts?: TRowReceipts;
};

/**
 * What the list a row is in puts on its `<article>` (the WAI-ARIA feed pattern, docs/accessibility.md):
 * the roving tab stop (0 on one row, -1 on the rest) and its place in the feed.
 */
export type TArticleProps = {
  tabIndex?: number;
  "aria-posinset"?: number;
  "aria-setsize"?: number;
};

/** Provided by ConversationView and ThreadPanel, so MessageList needs no thread or pin props. */
export const MessageContext = createContext<TMessageContext | null>(null);

/** The shareable link to one message: `/app/c/<conversationId>?m=<seq>`. */
export function messageLink(conversationId: string, seq: number): string {
  return `${location.origin}/app/c/${conversationId}?m=${seq}`;
}

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No async clipboard (insecure origin, or permission refused): the old way.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    if (!ok) throw new Error("Could not copy the link");
  }
}

export function MessageItem({
  m,
  isGrouped,
  meId,
  names,
  canAct,
  actions,
  article,
  before,
}: {
  m: TMessage;
  isGrouped: boolean;
  meId: string;
  names: ReadonlyMap<string, string>;
  /** A member of a conversation that is not archived: may react (and edit/delete own messages). */
  canAct: boolean;
  actions: TMessageActions;
  article?: TArticleProps;
  /** The day and "New messages" separators above this message: inside its article, as a feed holds only articles. */
  before?: ReactNode;
}) {
  const t = useTranslations("Message");
  const errorText = useErrorText();
  const fmt = useFormats();
  const ctx = useContext(MessageContext);
  const ids = useId();
  const deleteButton = useRef<HTMLButtonElement>(null);
  const pickerButton = useRef<HTMLButtonElement>(null);
  const [mode, setMode] = useState<"view" | "edit" | "confirm-delete">("view");
  const [isPicking, setPicking] = useState(false);
  const [isCopied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const isMine = m.senderId === meId;
  const isLive = !m.deletedAt;
  const avatars = useMemberAvatars(ctx?.conversationId);
  // The workspace's windows: past them my own message offers no Edit / Delete (admins always delete).
  const windowVerdict = useMessageWindows()(m.createdAt);
  const canEdit = isMine && windowVerdict.canEdit;
  const canDelete = Boolean(ctx?.canDeleteAny) || (isMine && windowVerdict.canDeleteOwn);
  const isPinned = Boolean(m.pinnedAt);
  const conversationId = ctx?.conversationId ?? m.conversationId;
  const isSaved = useIsSaved(conversationId, m.id);
  const run = (p: Promise<unknown>) => {
    setError(null);
    p.catch((err: unknown) => setError(errorText(err, t("error"))));
  };
  const mine = new Set(m.reactions.filter((r) => r.userIds.includes(meId)).map((r) => r.emoji));
  const react = (emoji: string) => run(actions.toggleReaction(m.id, emoji, mine.has(emoji)));

  useEffect(() => {
    if (!isCopied) return;
    const timer = setTimeout(() => setCopied(false), 2_000);
    return () => clearTimeout(timer);
  }, [isCopied]);

  const isThreadRoot = !m.threadRootId && m.replyCount > 0;
  const isReplyShownInChannel = Boolean(m.threadRootId && m.alsoInChannel && ctx?.openThread);
  // A pinned message or a reply shown in the channel always names its sender.
  const isCompact = isGrouped && !(isPinned && isLive) && !isReplyShownInChannel;
  const classes = [
    "msg",
    isCompact ? "grouped" : "",
    isPinned && isLive ? "pinned" : "",
    isPicking || mode === "confirm-delete" || isCopied ? "actions-open" : "",
  ];
  // Named by its sender and time, described by its text (what a screen reader says on arrival).
  return (
    <article
      className={classes.join(" ").replace(/\s+/g, " ").trim()}
      aria-labelledby={`${ids}-meta`}
      aria-describedby={`${ids}-body`}
      {...article}
      data-seq={m.seq}
      data-client-msg-id={m.clientMsgId}
      data-message-id={m.id}
    >
      {before ? <div className="ml-seps">{before}</div> : null}
      {isPinned && isLive ? (
        <div className="pinned-marker">
          <span aria-hidden="true">📌</span>{" "}
          {m.pinnedById
            ? t("pinnedBy", {
                name: m.pinnedById === meId ? t("youLower") : (names.get(m.pinnedById) ?? t("someoneLower")),
              })
            : t("pinned")}
        </div>
      ) : null}
      {isSaved && isLive ? (
        <div className="saved-marker">
          <span aria-hidden="true">🔖</span> {t("savedForLater")}
        </div>
      ) : null}
      {isReplyShownInChannel && m.threadRootId ? (
        <div className="reply-context">
          <span aria-hidden="true">↳</span> {t("repliedToThread")} ·{" "}
          <button type="button" className="link" onClick={() => ctx?.openThread?.(m.threadRootId ?? "")}>
            {t("viewThread")}
          </button>
        </div>
      ) : null}
      <div className={isCompact ? "meta visually-hidden" : "meta"} id={`${ids}-meta`}>
        {isCompact ? null : (
          <Avatar userId={m.senderId} avatarId={avatars.get(m.senderId)} name={m.senderName} size="sm" />
        )}
        <span className="sender">{m.senderName}</span>
        <time dateTime={new Date(m.createdAt).toISOString()}>{fmt.time(m.createdAt)}</time>
      </div>
      {mode === "edit" && isLive ? (
        <EditBox
          initial={decodeMentions(m.body, names)}
          onSave={(body) => actions.edit(m.id, encodeMentions(body, mentionables(names)))}
          onCancel={() => setMode("view")}
        />
      ) : (
        <div className="body" id={`${ids}-body`}>
          {m.deletedAt ? (
            <em className="muted">{t("deleted")}</em>
          ) : (
            <MessageBody text={m.body} names={names} meId={meId} />
          )}
          {m.editedAt && isLive ? <span className="edited"> {t("edited")}</span> : null}
        </div>
      )}
      {/* Beside the body, not in it: the ticks are about the message, not part of its text. */}
      {isMine && isLive && mode !== "edit" ? (
        <div className="receipt-row">
          <ReadReceipt seq={m.seq} senderId={m.senderId} receipts={ctx?.receipts} />
        </div>
      ) : null}
      {isLive ? <AttachmentList attachments={m.attachments} /> : null}
      {isLive && m.linkPreview ? (
        <LinkPreviewCard
          messageId={m.id}
          preview={m.linkPreview}
          {...(isMine && canAct ? { onRemove: () => run(actions.removePreview(m.id)) } : {})}
        />
      ) : null}
      {isLive && m.reactions.length > 0 ? (
        <ul className="reactions" aria-label={t("reactions")}>
          {m.reactions.map((r) => (
            <li key={r.emoji}>
              <button
                type="button"
                className="chip"
                aria-pressed={mine.has(r.emoji)}
                aria-label={`${r.emoji} ${fmt.number(r.count)}`}
                title={reactorNames(r.userIds, meId, names, t)}
                disabled={!canAct}
                onClick={() => react(r.emoji)}
              >
                <span aria-hidden="true">
                  <EmojiGlyph emoji={r.emoji} />
                </span>{" "}
                <span aria-hidden="true">{fmt.number(r.count)}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {isThreadRoot && ctx?.openThread ? (
        <button type="button" className="thread-summary" onClick={() => ctx.openThread?.(m.id)}>
          <span className="count">{t("replies", { count: m.replyCount })}</span>
          {m.lastReplyAt ? (
            <span className="last">
              {t("lastReply")}{" "}
              <time dateTime={new Date(m.lastReplyAt).toISOString()}>{fmt.time(m.lastReplyAt)}</time>
            </span>
          ) : null}
          <span className="view" aria-hidden="true">
            {t("viewThread")} ›
          </span>
        </button>
      ) : null}
      {isLive && mode !== "edit" ? (
        // One tab stop per row (the article): Enter on it focuses the first action, ←/→ move along (lib/roving-feed.ts).
        <div className="msg-actions" role="toolbar" aria-label={t("actions")}>
          {mode === "confirm-delete" ? (
            <ConfirmDelete
              onDelete={() => run(actions.remove(m.id))}
              onCancel={() => {
                setMode("view");
                // Back to the button that asked (rendered again by this state change).
                requestAnimationFrame(() => deleteButton.current?.focus());
              }}
            />
          ) : (
            <>
              {canAct
                ? QUICK_REACTIONS.map((emoji) => (
                    <button
                      key={emoji}
                      type="button"
                      tabIndex={-1}
                      className="quiet"
                      aria-label={t("addReactionEmoji", { emoji })}
                      title={t("reactWith", { emoji })}
                      disabled={mine.has(emoji)}
                      onClick={(e) => {
                        react(emoji);
                        // The button is disabled now and would drop focus: back to the message.
                        if (document.activeElement === e.currentTarget)
                          e.currentTarget.closest<HTMLElement>("article.msg")?.focus();
                      }}
                    >
                      {emoji}
                    </button>
                  ))
                : null}
              {canAct ? (
                <button
                  ref={pickerButton}
                  type="button"
                  tabIndex={-1}
                  className="quiet icon"
                  aria-label={t("addReaction")}
                  title={t("addReaction")}
                  aria-expanded={isPicking}
                  onClick={() => setPicking((v) => !v)}
                >
                  <span aria-hidden="true">☺︎+</span>
                </button>
              ) : null}
              {ctx?.openThread && !m.threadRootId ? (
                <button
                  type="button"
                  tabIndex={-1}
                  className="quiet icon"
                  aria-label={t("replyInThread")}
                  title={t("replyInThread")}
                  onClick={() => ctx.openThread?.(m.id)}
                >
                  <span aria-hidden="true">💬</span>
                </button>
              ) : null}
              {canAct ? (
                <button
                  type="button"
                  tabIndex={-1}
                  className="quiet icon"
                  aria-label={isPinned ? t("unpin") : t("pin")}
                  title={isPinned ? t("unpinTitle") : t("pinTitle")}
                  aria-pressed={isPinned}
                  onClick={() => run(isPinned ? actions.unpin(m.id) : actions.pin(m.id))}
                >
                  <span aria-hidden="true">📌</span>
                </button>
              ) : null}
              <button
                type="button"
                tabIndex={-1}
                className="quiet icon"
                aria-label={t("copyLinkLabel")}
                title={t("copyLink")}
                onClick={() =>
                  run(
                    copyText(messageLink(ctx?.conversationId ?? m.conversationId, m.seq)).then(() =>
                      setCopied(true),
                    ),
                  )
                }
              >
                <span aria-hidden="true">🔗</span>
              </button>
              <LaterActions
                messageId={m.id}
                conversationId={conversationId}
                isSaved={isSaved}
                onError={setError}
              />
              {canAct && canEdit ? (
                <button
                  type="button"
                  tabIndex={-1}
                  className="quiet icon"
                  title={t("edit")}
                  onClick={() => setMode("edit")}
                >
                  <span aria-hidden="true">✏️</span>
                  <span className="visually-hidden">{t("editMessage")}</span>
                </button>
              ) : null}
              {canAct && canDelete ? (
                <button
                  ref={deleteButton}
                  type="button"
                  tabIndex={-1}
                  className="quiet icon"
                  title={t("delete")}
                  onClick={() => setMode("confirm-delete")}
                >
                  <span aria-hidden="true">🗑️</span>
                  <span className="visually-hidden">{t("deleteMessage")}</span>
                </button>
              ) : null}
            </>
          )}
          {isPicking ? (
            <ReactionPicker
              onPick={(emoji) => {
                setPicking(false);
                pickerButton.current?.focus();
                if (!mine.has(emoji)) react(emoji);
              }}
              onClose={() => {
                setPicking(false);
                pickerButton.current?.focus();
              }}
            />
          ) : null}
        </div>
      ) : null}
      {isCopied ? (
        <span role="status" className="copied">
          {t("linkCopied")}
        </span>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </article>
  );
}

/** "Delete this message?" in the row's toolbar: focus starts on Cancel (the safe answer); Escape cancels. */
function ConfirmDelete({ onDelete, onCancel }: { onDelete: () => void; onCancel: () => void }) {
  const t = useTranslations("Message");
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <fieldset
      className="confirm-delete"
      onKeyDown={(e) => {
        if (e.key !== "Escape") return;
        e.preventDefault();
        e.stopPropagation();
        onCancel();
      }}
    >
      <legend className="visually-hidden">{t("confirmDelete")}</legend>
      <span aria-hidden="true">{t("confirmDelete")}</span>{" "}
      <button type="button" className="danger" onClick={onDelete}>
        {t("delete")}
      </button>{" "}
      <button type="button" ref={cancel} onClick={onCancel}>
        {t("cancel")}
      </button>
    </fieldset>
  );
}

export function PendingItem({
  p,
  senderName,
  onRetry,
  names,
  meId,
  article,
}: {
  p: TPendingMessage;
  senderName: string;
  onRetry: () => void;
  /** For mention pills (see MessageBody). */
  names?: ReadonlyMap<string, string>;
  meId?: string;
  article?: TArticleProps;
}) {
  const t = useTranslations("Message");
  const errorText = useErrorText();
  const ids = useId();
  return (
    <article
      className={`msg pending ${p.status}`}
      aria-labelledby={`${ids}-meta`}
      aria-describedby={`${ids}-body`}
      {...article}
      aria-busy={p.status === "sending"}
      data-status={p.status}
      data-client-msg-id={p.clientMsgId}
    >
      <div className="meta" id={`${ids}-meta`}>
        <span className="sender">{senderName}</span>
        {p.status === "sending" ? (
          <span className="state">{t("sending")}</span>
        ) : p.status === "sent" ? null : (
          <span className="state" role="alert">
            {p.error ? t("notSentBecause", { error: errorText(p.error, t("notSent")) }) : t("notSent")}{" "}
            <button type="button" className="link" onClick={onRetry}>
              {t("retry")}
            </button>
          </span>
        )}
      </div>
      <div className="body" id={`${ids}-body`}>
        <MessageBody text={p.body} names={names} meId={meId} />
        {p.attachmentCount > 0 ? (
          <span className="muted"> 📎 {t("files", { count: p.attachmentCount })}</span>
        ) : null}
      </div>
    </article>
  );
}

"use client";

/**
 * The message box, as Slack users expect it:
 * - Enter sends, Shift+Enter breaks the line, nothing happens mid IME composition.
 * - "@" + letters lists matching members and @channel/@here/@everyone; ":" + two letters lists
 *   emoji by shortcode. ↑/↓ move, Enter/Tab pick, Escape closes (ARIA combobox: the textarea keeps
 *   focus and points at the active option). A typed ":tada:" turns into 🎉 as its ":" is typed.
 * - The emoji button opens the picker, which inserts at the cursor.
 * - "@Full Name" is sent as `<@userId>` (lib/mentions.ts), so renames and pills work.
 * - ↑ in the empty box edits your last message here: the box shows "Editing message", Enter
 *   saves, Escape cancels.
 * - Unsent text is kept per user and conversation across reloads (lib/drafts.ts).
 * - With `broadcastWarning`, text with @channel/@here/@everyone shows it before sending (the
 *   workspace lets only admins broadcast here; the server refuses such a send).
 * - Files: the attach button, paste and drag-and-drop upload at once (lib/upload.ts) into a tray
 *   with progress and cancel; the microphone button records a voice message. The message goes
 *   out with the finished files' ids once none is still uploading (files alone need no text).
 * Every feature is optional: without `members` there is no mention list, without
 * `lastOwnMessage`/`onEdit` no ↑ edit, without `conversationId`/`meId` no drafts.
 */
import { parseMentions } from "@parley/protocol";
import { useTranslations } from "next-intl";
import {
  type KeyboardEvent,
  type ReactNode,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { completeShortcode, emojiTrigger } from "~/lib/emoji";
import {
  decodeMentions,
  encodeMentions,
  mentionText,
  mentionTrigger,
  type TMentionable,
} from "~/lib/mentions";
import { useMessageWindows } from "~/lib/message-windows";
import { useUploads } from "~/lib/upload";
import { useComposerDraft } from "~/lib/use-composer-draft";
import { useWorkspaceExtras } from "~/lib/workspace-extras";
import { optionId } from "./autocomplete";
import { ComposerSuggestions, findSuggestions, type TSuggestions } from "./composer-suggestions";
import { EmojiPicker, useEmojiIndex } from "./emoji-picker";
import { AttachButton, UploadTray, useFileTarget } from "./upload-tray";
import { VoiceRecorder } from "./voice-recorder";
import "~/styles/composer.css";
import { useErrorText } from "~/i18n/server-errors";

/** A message ↑ can edit (`createdAt`: its edit window is checked when given). */
export type TEditableMessage = { id: string; body: string; createdAt?: Date | string };

/** The newest live message `meId` sent among `messages` (oldest first), or null. */
export function lastOwnMessage(
  messages: readonly {
    id: string;
    senderId: string;
    body: string;
    deletedAt: Date | string | null;
    createdAt?: Date | string;
  }[],
  meId: string,
): TEditableMessage | null {
  if (!meId) return null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m && m.senderId === meId && !m.deletedAt) {
      return { id: m.id, body: m.body, ...(m.createdAt ? { createdAt: m.createdAt } : {}) };
    }
  }
  return null;
}

/** The message box (see the file header). */
export function Composer({
  label,
  onSend,
  onTyping,
  isDisabled,
  conversationId,
  meId,
  members,
  lastOwnMessage: editable,
  onEdit,
  draftKey: draftKeyProp,
  placeholder,
  submitLabel,
  footer,
  broadcastWarning,
  inputId,
  autoFocus,
}: {
  label: string;
  /**
   * Sends an encoded body with the ids of finished uploads (none without `conversationId`);
   * false when it could not be queued (the text and files stay).
   */
  onSend: (body: string, attachmentIds: string[]) => boolean;
  /** Called on every edit that leaves text in the box. */
  onTyping: () => void;
  isDisabled: boolean;
  /** With `meId`: keeps a draft per user and conversation. */
  conversationId?: string;
  meId?: string;
  /** Who can be mentioned (the conversation's members). */
  members?: readonly TMentionable[];
  /** What ↑ in the empty box edits. */
  lastOwnMessage?: TEditableMessage | null;
  /** Saves an edit (the encoded body); rejects with a message to show. */
  onEdit?: (messageId: string, body: string) => Promise<unknown>;
  /** Where the draft is kept when not per conversation (e.g. `thread:<rootId>`). */
  draftKey?: string;
  /** Shown in the empty box instead of the label. */
  placeholder?: string;
  /** The submit button's text (default "Send"). */
  submitLabel?: string;
  /** Extra controls under the box (e.g. "Also send to channel"). */
  footer?: ReactNode;
  /** Shown while the text mentions everyone, when the workspace does not let this sender do that here. */
  broadcastWarning?: string | null;
  /** The textarea's id (the app shell's "Skip to composer" link points at `composer`). */
  inputId?: string;
  /**
   * Focus the box on mount: `true` always (a reply box just opened), `"if-idle"` only when nothing
   * else has focus (a conversation opened from the quick switcher or a link).
   */
  autoFocus?: boolean | "if-idle";
}) {
  const t = useTranslations("Composer");
  const errorText = useErrorText();
  // ↑ edits my last message only while the workspace's edit window allows it.
  const windowVerdict = useMessageWindows();
  const [text, setText] = useState("");
  const [caret, setCaret] = useState(0);
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);
  const [active, setActive] = useState<{ key: string; index: number }>({ key: "", index: 0 });
  const [editing, setEditing] = useState<TEditableMessage | null>(null);
  const [isSaving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [isPickerOpen, setPickerOpen] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const pickerButton = useRef<HTMLButtonElement>(null);
  const pendingCaret = useRef<number | null>(null);
  /** Names picked from the list (lower-cased → id): they decide between members sharing a name. */
  const picked = useRef(new Map<string, string>());
  const emojiIndex = useEmojiIndex();
  const extras = useWorkspaceExtras(); // custom emoji and user groups
  const ids = useId();
  const textareaId = inputId ?? `${ids}-text`;
  const listId = `${ids}-suggestions`;

  const files = useUploads(conversationId ?? "");
  const canAttach = Boolean(conversationId) && !editing;
  const fileTarget = useFileTarget((list) => {
    if (canAttach) files.add(list);
  });

  const names = useMemo(() => new Map((members ?? []).map((m) => [m.userId, m.name])), [members]);

  // ---- drafts (lib/use-composer-draft.ts) ----
  const draft = useComposerDraft({
    text,
    setText,
    conversationId,
    meId,
    isEditing: editing !== null,
    draftKey: draftKeyProp ?? conversationId ?? "",
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the box appears
  useEffect(() => {
    const isIdle = !document.activeElement || document.activeElement === document.body;
    // Without scrolling: the message list is still settling on its newest row.
    if (autoFocus === true || (autoFocus === "if-idle" && isIdle))
      ref.current?.focus({ preventScroll: true });
  }, []);

  // ---- suggestions ----
  const suggestions = findSuggestions({
    text,
    caret,
    dismissedAt,
    members,
    meId: meId ?? "",
    groups: extras.groups,
    emojiIndex,
    emojiEntries: extras.emojiEntries,
  });
  const activeIndex = suggestions && active.key === suggestions.key ? active.index : 0;

  useLayoutEffect(() => {
    const at = pendingCaret.current;
    if (at === null || !ref.current) return;
    pendingCaret.current = null;
    ref.current.focus();
    ref.current.setSelectionRange(at, at);
    setCaret(at);
  });

  /** Replaces text[from, to) with `insert` and puts the caret after it. */
  function replaceRange(from: number, to: number, insert: string) {
    const next = text.slice(0, from) + insert + text.slice(to);
    draft.markDirty();
    setText(next);
    pendingCaret.current = from + insert.length;
  }

  /** Inserts a picked suggestion plus a space (unless one follows already). */
  function pickSuggestion(s: TSuggestions, index: number) {
    const after = /^\s/.test(text.slice(caret)) ? "" : " ";
    if (s.kind === "mention") {
      const option = s.options[index];
      if (!option) return;
      if (option.kind === "user") picked.current.set(option.name.toLowerCase(), option.userId);
      replaceRange(s.start, caret, mentionText(option) + after);
    } else {
      const option = s.options[index];
      if (!option) return;
      replaceRange(s.start, caret, option.emoji + after);
    }
    setDismissedAt(s.start);
  }

  function insertAtCursor(insert: string) {
    const el = ref.current;
    const from = el?.selectionStart ?? text.length;
    const to = el?.selectionEnd ?? from;
    replaceRange(from, to, insert);
  }

  function onChange(value: string, at: number) {
    let next = value;
    let nextCaret = at;
    if (emojiIndex) {
      const done = completeShortcode(value, at, emojiIndex);
      if (done) {
        next = done.text;
        nextCaret = done.caret;
        pendingCaret.current = nextCaret;
      }
    }
    draft.markDirty();
    setText(next);
    setCaret(nextCaret);
    setError(null);
    // A new trigger (or none) forgets the one that was dismissed.
    const startNow = mentionTrigger(next, nextCaret)?.start ?? emojiTrigger(next, nextCaret)?.start;
    if (startNow !== dismissedAt) setDismissedAt(null);
    if (next.trim() && !editing) onTyping();
  }

  function startEdit(message: TEditableMessage) {
    const body = decodeMentions(message.body, names, extras.groups);
    setEditing(message);
    setText(body);
    setError(null);
    pendingCaret.current = body.length;
  }

  function stopEdit() {
    setEditing(null);
    setText("");
    setError(null);
    pendingCaret.current = 0;
  }

  async function saveEdit(message: TEditableMessage) {
    const raw = text.trim();
    if (!raw || isSaving || !onEdit) return;
    const body = encodeMentions(raw, members ?? [], picked.current, extras.groups);
    if (body === message.body.trim()) return stopEdit();
    setSaving(true);
    try {
      await onEdit(message.id, body);
      stopEdit();
    } catch (err) {
      setError(errorText(err, t("error")));
    } finally {
      setSaving(false);
    }
  }

  function submit() {
    if (editing) {
      void saveEdit(editing);
      return;
    }
    const raw = text.trim();
    const attachmentIds = files.readyIds;
    if (files.isBusy) {
      setError(t("waitForUploads"));
      return;
    }
    if (!raw && attachmentIds.length === 0) return;
    const body = encodeMentions(raw, members ?? [], picked.current, extras.groups);
    try {
      if (!onSend(body, attachmentIds)) return;
    } catch (err) {
      // The SDK refuses a send the server would refuse (ParleySendInputError): keep the draft.
      setError(errorText(err, t("error")));
      return;
    }
    files.clear();
    setText("");
    setCaret(0);
    picked.current.clear();
    draft.clear();
    ref.current?.focus();
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.nativeEvent.isComposing) return; // the IME owns every key mid composition
    const hasModifier = e.shiftKey || e.altKey || e.ctrlKey || e.metaKey;
    if (suggestions) {
      const count = suggestions.options.length;
      const move = (to: number) => {
        e.preventDefault();
        setActive({ key: suggestions.key, index: (to + count) % count });
      };
      if (e.key === "ArrowDown" && !hasModifier) return move(activeIndex + 1);
      if (e.key === "ArrowUp" && !hasModifier) return move(activeIndex - 1);
      if ((e.key === "Enter" || e.key === "Tab") && !hasModifier) {
        e.preventDefault();
        return pickSuggestion(suggestions, activeIndex);
      }
      if (e.key === "Escape") {
        e.preventDefault();
        setDismissedAt(suggestions.start);
        return;
      }
    }
    if (e.key === "Escape" && editing) {
      e.preventDefault();
      stopEdit();
      return;
    }
    const isEditable = editable && (!editable.createdAt || windowVerdict(editable.createdAt).canEdit);
    if (e.key === "ArrowUp" && !hasModifier && !text && !editing && isEditable && onEdit) {
      e.preventDefault();
      startEdit(editable);
      return;
    }
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      submit();
    }
  }

  const isBroadcastWarned =
    Boolean(broadcastWarning) &&
    parseMentions(encodeMentions(text, members ?? [], picked.current, extras.groups)).all;
  const canSubmit = editing
    ? Boolean(text.trim()) && !isSaving
    : !isDisabled && !files.isBusy && (Boolean(text.trim()) || files.readyIds.length > 0);

  return (
    <form
      className={["composer", editing ? "editing" : "", fileTarget.isOver ? "drop-target" : ""]
        .join(" ")
        .trim()}
      {...(canAttach ? fileTarget.handlers : {})}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {editing ? (
        <div className="composer-mode">
          <label htmlFor={textareaId} className="composer-mode-label">
            {t("editing")}
          </label>
          <button type="button" className="link" onClick={stopEdit}>
            {t("cancel")}
          </button>
        </div>
      ) : (
        <label htmlFor={textareaId} className="visually-hidden">
          {label}
        </label>
      )}
      {canAttach ? <UploadTray uploads={files.uploads} onRemove={files.remove} /> : null}
      <div className="composer-box">
        {suggestions ? (
          <ComposerSuggestions
            suggestions={suggestions}
            listId={listId}
            activeIndex={activeIndex}
            onHover={(index) => setActive({ key: suggestions.key, index })}
            onPick={(index) => pickSuggestion(suggestions, index)}
          />
        ) : null}
        {isPickerOpen ? (
          <EmojiPicker
            anchor={pickerButton}
            onClose={() => {
              setPickerOpen(false);
              ref.current?.focus();
            }}
            onPick={(emoji) => {
              setPickerOpen(false);
              insertAtCursor(emoji);
            }}
          />
        ) : null}
        <div className="row composer-row">
          <textarea
            id={textareaId}
            ref={ref}
            rows={2}
            value={text}
            placeholder={editing ? t("editPlaceholder") : (placeholder ?? label)}
            disabled={isSaving}
            aria-autocomplete="list"
            aria-controls={suggestions ? listId : undefined}
            aria-activedescendant={suggestions ? optionId(listId, activeIndex) : undefined}
            onChange={(e) => onChange(e.target.value, e.target.selectionStart)}
            onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
            onKeyDown={onKeyDown}
            onBlur={() => {
              if (suggestions) setDismissedAt(suggestions.start);
            }}
          />
          {canAttach ? (
            <>
              <AttachButton onFiles={files.add} isDisabled={isDisabled} />
              <VoiceRecorder onRecorded={(file, meta) => files.add([file], meta)} isDisabled={isDisabled} />
            </>
          ) : null}
          <button
            ref={pickerButton}
            type="button"
            className="quiet emoji-button"
            aria-label={t("insertEmoji")}
            title={t("insertEmoji")}
            aria-haspopup="dialog"
            aria-expanded={isPickerOpen}
            onClick={() => setPickerOpen((open) => !open)}
          >
            <span aria-hidden="true">☺</span>
          </button>
          <button type="submit" className="primary" disabled={!canSubmit}>
            {editing ? t("save") : (submitLabel ?? t("send"))}
          </button>
        </div>
      </div>
      {footer}
      {isBroadcastWarned ? (
        <p role="status" className="notice composer-warning">
          {broadcastWarning}
        </p>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      <div className="hint">{editing ? t("hintEditing") : t("hint")}</div>
    </form>
  );
}

"use client";

/**
 * Desktop notifications. Which events notify is one pure function (`shouldNotify`, unit-tested):
 * while this tab is hidden, the server's own rule (`@parley/core` notifications/should-notify:
 * not mine, not muted, not during do-not-disturb, and a DM / mention / broadcast / keyword /
 * message as my global and per-conversation levels allow — with every default: DMs and mentions of
 * me by id or @channel/@here/@everyone). Permission is only
 * ever asked from a click on the sidebar's prompt, never on page load. Clicking a notification
 * focuses the tab and opens the conversation at that message.
 */
import {
  defaultNotifyPrefs,
  notificationTag,
  notificationText,
  shouldNotify as notifyRule,
  type TConversationNotifyLevel,
  type TNotificationPrefs,
} from "@parley/core/notifications/should-notify";
import {
  decodeEventPayload,
  EventKind,
  parseMentions,
  type TConversationEvent,
  type TMessagePayload,
} from "@parley/protocol";
import { useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { useEffect } from "react";
import { useRealtime } from "./realtime-context";
import { useLatest } from "./use-latest";

/** What `shouldNotify` needs to know about the conversation (from the sidebar list). */
export type TNotifyConversation = {
  kind: string;
  muted: boolean;
  name: string | null;
  notifyLevel?: TConversationNotifyLevel;
  ignoreBroadcasts?: boolean;
};

/** My global preferences as `notifications.settings` answers them (absent: every default). */
export type TNotifyPrefs = Omit<TNotificationPrefs, "userId">;

const CONVERSATION_KINDS = ["public_channel", "private_channel", "dm", "group_dm"] as const;

/** The parts of a message.created event that decide. */
export type TNotifyMessage = {
  senderId: string;
  body: string;
  mentionedUserIds?: readonly string[];
  mentionsAll?: boolean;
  /** MIME types of the files it carries (a DM with only a voice message still notifies). */
  attachmentTypes?: readonly string[];
};

/** Whether the message mentions `userId`: the server's fields when present, else the body's tokens. */
export function mentionsUser(message: TNotifyMessage, userId: string): boolean {
  if (message.mentionedUserIds !== undefined || message.mentionsAll !== undefined) {
    return Boolean(message.mentionsAll) || (message.mentionedUserIds ?? []).includes(userId.toLowerCase());
  }
  const parsed = parseMentions(message.body);
  return parsed.all || parsed.userIds.includes(userId.toLowerCase());
}

export { notificationText };

/** Decides whether one new message raises a desktop notification (see the file header). */
export function shouldNotify(input: {
  message: TNotifyMessage;
  meId: string;
  /** Undefined when the conversation is not in the list yet (a DM just opened): treated as unmuted, not a DM. */
  conversation: TNotifyConversation | undefined;
  isTabHidden: boolean;
  prefs?: TNotifyPrefs;
  now?: Date;
}): boolean {
  const { message, meId, conversation, isTabHidden } = input;
  if (!isTabHidden) return false;
  const parsed =
    message.mentionedUserIds !== undefined || message.mentionsAll !== undefined
      ? { userIds: message.mentionedUserIds ?? [], all: Boolean(message.mentionsAll) }
      : parseMentions(message.body);
  const kind = CONVERSATION_KINDS.find((k) => k === conversation?.kind) ?? "public_channel";
  const reason = notifyRule(
    { ...defaultNotifyPrefs(meId), ...input.prefs, userId: meId },
    {
      kind,
      level: conversation?.notifyLevel ?? "default",
      muted: conversation?.muted ?? false,
      ignoreBroadcasts: conversation?.ignoreBroadcasts ?? false,
    },
    {
      senderId: message.senderId,
      body: message.body,
      mentionedUserIds: parsed.userIds,
      mentionsAll: parsed.all,
      attachmentCount: message.attachmentTypes?.length ?? 0,
    },
    input.now ?? new Date(),
  );
  return reason !== null;
}

/** What a message without text carries, in the user's language (DesktopNotifications messages). */
export type TSayCarried = (key: "voice" | "images" | "files", values: { count: number }) => string;

const ENGLISH_CARRIED: TSayCarried = (key, { count }) =>
  key === "voice"
    ? "sent a voice message"
    : count === 1
      ? key === "images"
        ? "sent an image"
        : "sent a file"
      : `sent ${count} ${key}`;

/** The text of a notification for a message: its body, or what it carries when it has no text. */
export function notificationBody(
  message: TNotifyMessage,
  names?: ReadonlyMap<string, string>,
  say: TSayCarried = ENGLISH_CARRIED,
): string {
  const text = notificationText(message.body, names);
  if (text) return text;
  const types = message.attachmentTypes ?? [];
  const count = types.length;
  if (count === 1 && types[0]?.startsWith("audio/")) return say("voice", { count });
  if (count > 0 && types.every((t) => t.startsWith("image/"))) return say("images", { count });
  return say("files", { count });
}

/** True when the browser can show notifications at all. */
export function canNotify(): boolean {
  return typeof window !== "undefined" && "Notification" in window;
}

/** What of a message.created payload's message decides and what the notification says. */
export function notifyMessageOf(m: TMessagePayload): TNotifyMessage {
  return {
    senderId: m.senderId,
    body: m.body,
    mentionedUserIds: m.mentionedUserIds,
    mentionsAll: m.mentionsAll,
    attachmentTypes: m.attachments.map((a) => a.mime),
  };
}

/**
 * Shows desktop notifications for this tab's live events (see `shouldNotify`). Mount once, in the
 * app shell, with the sidebar's conversation list.
 */
export function useDesktopNotifications(
  conversations: readonly (TNotifyConversation & { id: string })[] | undefined,
  prefs?: TNotifyPrefs,
): void {
  const { client, userId } = useRealtime();
  const router = useRouter();
  // The words in the user's language (read when a notification is made, not a reason to re-subscribe).
  const t = useTranslations("DesktopNotifications");
  const words = useLatest(t);
  const list = useLatest(conversations);
  const myPrefs = useLatest(prefs);
  useEffect(() => {
    if (!client || !canNotify()) return;
    return client.on("event", (event: TConversationEvent) => {
      if (event.kind !== EventKind.MessageCreated || Notification.permission !== "granted") return;
      const m = decodeEventPayload(EventKind.MessageCreated, event.payload)?.message;
      if (!m) return;
      const message = notifyMessageOf(m);
      const conversation = list.current?.find((c) => c.id === event.conversationId);
      if (
        !shouldNotify({
          message,
          meId: userId,
          conversation,
          isTabHidden: document.visibilityState === "hidden",
          ...(myPrefs.current ? { prefs: myPrefs.current } : {}),
        })
      ) {
        return;
      }
      const sender = m.senderName || words.current("someone");
      const isChannel = conversation?.kind === "public_channel" || conversation?.kind === "private_channel";
      const title = isChannel
        ? words.current("inChannel", { sender, channel: conversation?.name ?? "" })
        : sender;
      try {
        const n = new Notification(title, {
          body: notificationBody(message, undefined, (key, values) => words.current(key, values)),
          tag: notificationTag(event.conversationId),
        });
        // A reply that stays in its thread is not in the channel's history: open the thread instead.
        const rootId = m.threadRootId;
        const target = rootId && !m.alsoInChannel ? `thread=${rootId}` : `m=${event.seq}`;
        n.onclick = () => {
          window.focus();
          router.push(`/app/c/${event.conversationId}?${target}`);
          n.close();
        };
      } catch {
        // Some browsers only allow notifications from a service worker: nothing to show then.
      }
    });
  }, [client, userId, router]);
}

const PROMPT_DISMISSED_KEY = "parley:notifications-prompt-dismissed";

/** Whether the sidebar should offer to enable notifications (asked never, not dismissed). */
export function shouldOfferNotifications(): boolean {
  if (!canNotify() || Notification.permission !== "default") return false;
  try {
    return localStorage.getItem(PROMPT_DISMISSED_KEY) !== "1";
  } catch {
    return true;
  }
}

/** Remembers that the user said "Not now" to the prompt. */
export function dismissNotificationOffer(): void {
  try {
    localStorage.setItem(PROMPT_DISMISSED_KEY, "1");
  } catch {
    // private mode: the prompt comes back next time, which is harmless
  }
}

"use client";

/**
 * Saved messages and reminders in the tab (Slack's "Later"; server side core/src/saved and
 * core/src/reminders). Live through the user's own log, like every per-user change:
 *
 * - `saved.updated` (a save or unsave on any device) patches that conversation's saved marks
 *   (`saved.ids`, read by message rows through `useIsSaved`) and refetches the Saved view's pages;
 * - `reminder.updated` refetches the Reminders list;
 * - `reminder.fired` refetches it too and shows a notice ("Reminder: …" with a link) in this tab,
 *   and a desktop notification while the tab is hidden (when the user allowed them).
 *
 * Notices (fired reminders, and "Reminder set for …" confirmations) are kept here per tab, like
 * ephemeral.ts keeps slash-command answers, and shown by components/later-notices.tsx.
 * `applyLaterEvent` is called by chat-data.ts's user-event handler.
 */
import type { TKnownUserEvent, TUserEventPayload } from "@parley/protocol";
import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useCallback, useSyncExternalStore } from "react";
import { useFormats } from "~/i18n/format";
import { useTRPC, useTRPCClient } from "~/trpc/react";
import type { TRouterInputs } from "~/trpc/types";
import { laterHref } from "./later-format";
import { refetchFresh } from "./refetch";

type TTRPC = ReturnType<typeof useTRPC>;

/** When a reminder is due, as `reminders.create` takes it. */
export type TReminderWhen = TRouterInputs["reminders"]["create"]["when"];

/** A notice in the tab's corner: a reminder that fired (stays until dismissed) or a confirmation. */
export type TLaterNotice =
  | { id: string; kind: "fired"; payload: TUserEventPayload<"reminder.fired"> }
  | { id: string; kind: "info"; text: string };

/** The newest this many notices are kept. */
export const MAX_NOTICES = 5;
/** Confirmations disappear after this long; fired reminders stay until dismissed. */
export const INFO_NOTICE_MS = 5_000;

const NONE: readonly TLaterNotice[] = [];
let notices: readonly TLaterNotice[] = NONE;
const listeners = new Set<() => void>();

function setNotices(next: readonly TLaterNotice[]) {
  notices = next;
  for (const listener of listeners) listener();
}

/** Shows a notice (the same id twice is kept once: a user event may be replayed). */
export function addLaterNotice(notice: TLaterNotice): void {
  if (notices.some((n) => n.id === notice.id)) return;
  setNotices([...notices, notice].slice(-MAX_NOTICES));
  if (notice.kind === "info") setTimeout(() => dismissLaterNotice(notice.id), INFO_NOTICE_MS);
}

/** Removes a notice (Dismiss, or a confirmation's time ran out). */
export function dismissLaterNotice(id: string): void {
  if (notices.some((n) => n.id === id)) setNotices(notices.filter((n) => n.id !== id));
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** The notices to show, oldest first. */
export function useLaterNotices(): readonly TLaterNotice[] {
  return useSyncExternalStore(
    subscribe,
    () => notices,
    () => NONE,
  );
}

/**
 * A desktop notification for a fired reminder while the tab is hidden (never asks permission);
 * LaterNotices shows it with the words in the user's language.
 */
export function notifyDesktop(
  payload: TUserEventPayload<"reminder.fired">,
  title: string,
  body: string,
): void {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  if (document.visibilityState !== "hidden") return;
  try {
    const n = new Notification(title, {
      body,
      tag: `reminder:${payload.reminderId}`,
    });
    const m = payload.message;
    n.onclick = () => {
      window.focus();
      if (m) window.location.assign(laterHref(m));
      n.close();
    };
  } catch {
    // Only a service worker may show notifications in some browsers: the in-tab notice remains.
  }
}

type TLaterEvent = Extract<
  TKnownUserEvent,
  { kind: "saved.updated" | "reminder.updated" | "reminder.fired" }
>;

/** Applies one of the user events above to the tab's caches and notices. */
export function applyLaterEvent(queryClient: QueryClient, trpc: TTRPC, event: TLaterEvent): void {
  switch (event.kind) {
    case "saved.updated": {
      const { conversationId, messageId, isSaved } = event.payload;
      queryClient.setQueryData(trpc.saved.ids.queryKey({ conversationId }), (ids) =>
        ids ? withSaved(ids, messageId, isSaved) : ids,
      );
      void refetchFresh(queryClient, trpc.saved.list.pathFilter());
      return;
    }
    case "reminder.updated":
      void refetchFresh(queryClient, trpc.reminders.list.queryFilter());
      return;
    case "reminder.fired":
      void refetchFresh(queryClient, trpc.reminders.list.queryFilter());
      addLaterNotice({ id: `fired:${event.payload.reminderId}`, kind: "fired", payload: event.payload });
      return;
  }
}

function withSaved(ids: string[], messageId: string, isSaved: boolean): string[] {
  const has = ids.includes(messageId);
  if (isSaved) return has ? ids : [...ids, messageId];
  return has ? ids.filter((id) => id !== messageId) : ids;
}

/** Whether the reader saved this message (its conversation's marks, loaded once per conversation). */
export function useIsSaved(conversationId: string, messageId: string): boolean {
  const trpc = useTRPC();
  const query = useQuery(
    trpc.saved.ids.queryOptions(
      { conversationId },
      { staleTime: 60_000, select: (ids) => ids.includes(messageId) },
    ),
  );
  return query.data ?? false;
}

/**
 * Save, unsave, remind and cancel through tRPC. The caches follow the events that come back (on
 * every device); saving also patches this tab's marks at once, so the button answers without
 * waiting for the socket.
 */
export function useLaterActions() {
  const t = useTranslations("Later");
  const fmt = useFormats();
  const trpc = useTRPC();
  const trpcClient = useTRPCClient();
  const queryClient = useQueryClient();
  const setSaved = useCallback(
    async (messageId: string, conversationId: string, isSaved: boolean) => {
      const change = isSaved
        ? await trpcClient.saved.save.mutate({ messageId })
        : await trpcClient.saved.unsave.mutate({ messageId });
      queryClient.setQueryData(trpc.saved.ids.queryKey({ conversationId }), (ids) =>
        ids ? withSaved(ids, messageId, change.isSaved) : ids,
      );
      return change;
    },
    [queryClient, trpc, trpcClient],
  );
  const remind = useCallback(
    async (messageId: string, when: TReminderWhen) => {
      const reminder = await trpcClient.reminders.create.mutate({ messageId, when });
      addLaterNotice({
        id: `set:${reminder.id}:${new Date(reminder.dueAt).getTime()}`,
        kind: "info",
        text: t("setFor", { due: fmt.due(reminder.dueAt) }),
      });
      return reminder;
    },
    [trpcClient, t, fmt],
  );
  const cancel = useCallback(
    (reminderId: string) => trpcClient.reminders.cancel.mutate({ reminderId }),
    [trpcClient],
  );
  return { setSaved, remind, cancel };
}

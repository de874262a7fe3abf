"use client";

/**
 * The polite live region that tells a screen reader about new messages in the open conversation,
 * throttled and summarised (lib/arrival-announcer.ts). Only live arrivals count: not the history
 * loaded on open, not pages loaded while scrolling, not the reader's own messages or thread-only
 * replies. Always mounted, so the first announcement is not lost.
 */
import { useTranslations } from "next-intl";
import { useEffect, useRef, useState } from "react";
import { ANNOUNCE_EVERY_MS, createArrivalAnnouncer } from "~/lib/arrival-announcer";
import { isInMainList } from "~/lib/timeline";
import type { TMessage } from "~/trpc/types";

export function ArrivalAnnouncer({
  messages,
  isLoaded,
  isDetached,
  windowId,
  meId,
}: {
  /** The conversation's loaded messages, oldest first. */
  messages: readonly TMessage[];
  isLoaded: boolean;
  /** The window does not reach the newest message: what loads below it is history, not news. */
  isDetached: boolean;
  /** Changes on every jump (a new window's rows are not arrivals). */
  windowId: number;
  meId: string;
}) {
  const t = useTranslations("Arrivals");
  // The latest wording (the announcer outlives renders; the language does not change under it).
  const summarize = useRef<(senders: readonly string[]) => string>(() => "");
  summarize.current = (senders) => {
    const names = [...new Set(senders)];
    const [a = t("someone"), b = "", c = ""] = names;
    const who =
      names.length <= 1
        ? a
        : names.length === 2
          ? t("two", { a, b })
          : names.length === 3
            ? t("three", { a, b, c })
            : t("more", { a, b, count: names.length - 2 });
    return t("summary", { count: senders.length, who });
  };
  const [text, setText] = useState("");
  const announcer = useRef<ReturnType<typeof createArrivalAnnouncer> | null>(null);
  const seen = useRef<{ seq: number; windowId: number; isDetached: boolean } | null>(null);

  useEffect(() => {
    let timer = 0;
    // Emptied first: the same summary twice in a row ("1 new message from Alice") is a change too.
    const say = (next: string) => {
      setText("");
      window.clearTimeout(timer);
      timer = window.setTimeout(() => setText(next), 100);
    };
    const a = createArrivalAnnouncer(
      say,
      {
        now: () => Date.now(),
        setTimeout: (fn, ms) => window.setTimeout(fn, ms),
        clearTimeout: (handle) => window.clearTimeout(handle as number),
      },
      ANNOUNCE_EVERY_MS,
      (senders) => summarize.current(senders),
    );
    announcer.current = a;
    return () => {
      a.dispose();
      window.clearTimeout(timer);
    };
  }, []);

  useEffect(() => {
    if (!isLoaded) return;
    const newest = messages.at(-1)?.seq ?? 0;
    const before = seen.current;
    seen.current = { seq: Math.max(newest, before?.seq ?? 0), windowId, isDetached };
    // The first load, a jump, or a detached window catching up: history, not arrivals.
    if (!before || before.windowId !== windowId || before.isDetached || isDetached) return;
    const arrivals = messages.filter((m) => m.seq > before.seq && m.senderId !== meId && isInMainList(m));
    announcer.current?.add(arrivals.map((m) => m.senderName));
  }, [messages, isLoaded, isDetached, windowId, meId]);

  return (
    <div className="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="arrivals">
      {text}
    </div>
  );
}

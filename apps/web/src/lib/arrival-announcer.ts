/**
 * Screen-reader announcements of new messages in the open conversation, throttled: a busy channel
 * must not read out every message. Arrivals are collected and said at most once per
 * `ANNOUNCE_EVERY_MS` as one summary ("3 new messages from Alice and Bob"); the first arrival after
 * a quiet spell is said at once. components/arrival-announcer.tsx puts the text in a polite live
 * region; the message log itself is not live (it would read every row).
 */

/** At most one announcement this often. */
export const ANNOUNCE_EVERY_MS = 5_000;

/** "3 new messages from Alice and Bob" for senders in arrival order (one entry per message). */
export function arrivalSummary(senders: readonly string[]): string {
  const count = senders.length;
  const names = [...new Set(senders)];
  let who: string;
  if (names.length <= 1) who = names[0] ?? "someone";
  else if (names.length === 2) who = `${names[0]} and ${names[1]}`;
  else if (names.length === 3) who = `${names[0]}, ${names[1]} and ${names[2]}`;
  else who = `${names[0]}, ${names[1]} and ${names.length - 2} others`;
  return `${count} new ${count === 1 ? "message" : "messages"} from ${who}`;
}

/** The clock and timer an announcer uses (the browser's; fakes in tests). */
export type TAnnounceClock = {
  now: () => number;
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
};

/**
 * Collects arrivals (`add`) and calls `say` with a summary, at most once per `everyMs`; `summarize`
 * words it (the component passes one in the user's language; English by default).
 */
export function createArrivalAnnouncer(
  say: (text: string) => void,
  clock: TAnnounceClock,
  everyMs = ANNOUNCE_EVERY_MS,
  summarize: (senders: readonly string[]) => string = arrivalSummary,
): { add: (senders: readonly string[]) => void; dispose: () => void } {
  let pending: string[] = [];
  let lastSaidAt = Number.NEGATIVE_INFINITY;
  let timer: unknown = null;
  const flush = () => {
    timer = null;
    if (pending.length === 0) return;
    say(summarize(pending));
    pending = [];
    lastSaidAt = clock.now();
  };
  return {
    add(senders) {
      if (senders.length === 0) return;
      pending.push(...senders);
      if (timer !== null) return;
      const wait = lastSaidAt + everyMs - clock.now();
      if (wait <= 0) flush();
      else timer = clock.setTimeout(flush, wait);
    },
    dispose() {
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      pending = [];
    },
  };
}

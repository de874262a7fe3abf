"use client";

/**
 * The tab carries the unread-mention count (mentions of me, @channel/@here/@everyone, every DM
 * message — the sidebar's red badges summed): "(3) Parley" in the title and a favicon with the
 * number drawn on it, so a background tab shows it.
 */
import { useEffect } from "react";

/** The total the tab shows: the sum of the conversations' mention counts. */
export function unreadMentionTotal(conversations: readonly { mentionCount: number }[] | undefined): number {
  return (conversations ?? []).reduce((sum, c) => sum + Math.max(0, c.mentionCount), 0);
}

/** The title with the count in front ("(3) Parley"); any earlier count is replaced. */
export function titleWithCount(title: string, count: number): string {
  const base = title.replace(/^\(\d+\+?\) /, "");
  return count > 0 ? `(${count > 99 ? "99+" : count}) ${base}` : base;
}

const ICON_ID = "parley-favicon";

/** A 64×64 PNG data URL: Parley's speech bubble, with a red count badge when `count` > 0. */
export function faviconFor(count: number): string | null {
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 64;
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  ctx.fillStyle = "#4a3aff";
  ctx.beginPath();
  ctx.roundRect(4, 6, 48, 40, 10);
  ctx.fill();
  ctx.beginPath();
  ctx.moveTo(14, 44);
  ctx.lineTo(10, 58);
  ctx.lineTo(28, 44);
  ctx.fill();
  if (count > 0) {
    ctx.fillStyle = "#e01e5a";
    ctx.beginPath();
    ctx.arc(44, 20, 20, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = "#fff";
    ctx.font = "bold 26px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(count > 9 ? "9+" : String(count), 44, 21);
  }
  return canvas.toDataURL("image/png");
}

/** Keeps the tab's title and favicon in step with `count`. */
export function useUnreadBadge(count: number): void {
  useEffect(() => {
    let link = document.getElementById(ICON_ID) as HTMLLinkElement | null;
    if (!link) {
      link = document.createElement("link");
      link.id = ICON_ID;
      link.rel = "icon";
      document.head.appendChild(link);
    }
    link.dataset.count = String(count);
    const href = faviconFor(count);
    if (href) link.href = href;
  }, [count]);
  // Next sets the title on navigation (a new <title> element or new text): put the count back.
  useEffect(() => {
    const observer = new MutationObserver(() => {
      const want = titleWithCount(document.title, count);
      if (document.title !== want) document.title = want;
    });
    observer.observe(document.head, { childList: true, characterData: true, subtree: true });
    const want = titleWithCount(document.title, count);
    if (document.title !== want) document.title = want;
    return () => observer.disconnect();
  }, [count]);
}

"use client";

/**
 * A message row's "Save for later" toggle and "Remind me about this" menu (in its action toolbar,
 * reached with the rest of it: Enter on the message, ←/→ along the toolbar). The menu is a WAI-ARIA
 * menu: ↑/↓ move, Enter picks, Escape closes it and returns to its button. "Custom…" opens a
 * modal dialog with a date and time in the reader's profile time zone (the server converts it).
 */
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type KeyboardEvent, type RefObject, useEffect, useId, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { useErrorText } from "~/i18n/server-errors";
import { type TReminderWhen, useLaterActions } from "~/lib/later-data";
import { wallClock } from "~/lib/later-format";
import { useTRPC } from "~/trpc/react";

/** The menu's choices; `label` is the message key (Later.choices.*). */
const CHOICES: readonly { label: string; when: TReminderWhen }[] = [
  { label: "in20m", when: { kind: "in", minutes: 20 } },
  { label: "in1h", when: { kind: "in", minutes: 60 } },
  { label: "in3h", when: { kind: "in", minutes: 180 } },
  { label: "tomorrow", when: { kind: "tomorrow" } },
];

/** The bookmark toggle and the reminder menu of one message. */
export function LaterActions({
  messageId,
  conversationId,
  isSaved,
  onError,
}: {
  messageId: string;
  conversationId: string;
  isSaved: boolean;
  onError: (message: string | null) => void;
}) {
  const t = useTranslations("Later");
  const errorText = useErrorText();
  const { setSaved, remind } = useLaterActions();
  const [isMenuOpen, setMenuOpen] = useState(false);
  const [isCustomOpen, setCustomOpen] = useState(false);
  const remindButton = useRef<HTMLButtonElement>(null);
  const run = (p: Promise<unknown>) => {
    onError(null);
    p.catch((err: unknown) => onError(errorText(err, t("error"))));
  };
  const closeMenu = () => {
    setMenuOpen(false);
    remindButton.current?.focus();
  };
  return (
    <>
      <button
        type="button"
        tabIndex={-1}
        className="quiet icon"
        aria-label={isSaved ? t("unsave") : t("save")}
        title={isSaved ? t("unsave") : t("save")}
        aria-pressed={isSaved}
        // The A key on a focused message presses it (lib/roving-feed.ts).
        data-shortcut="save"
        onClick={() => run(setSaved(messageId, conversationId, !isSaved))}
      >
        <span aria-hidden="true">🔖</span>
      </button>
      <span className="later-menu-wrap">
        <button
          ref={remindButton}
          type="button"
          tabIndex={-1}
          className="quiet icon"
          aria-label={t("remind")}
          title={t("remind")}
          aria-haspopup="menu"
          aria-expanded={isMenuOpen}
          onClick={() => setMenuOpen((v) => !v)}
        >
          <span aria-hidden="true">⏰</span>
        </button>
        {isMenuOpen ? (
          <RemindMenu
            anchor={remindButton}
            onPick={(when) => {
              closeMenu();
              if (when) run(remind(messageId, when));
              else setCustomOpen(true);
            }}
            onClose={closeMenu}
          />
        ) : null}
      </span>
      {isCustomOpen ? (
        <CustomReminderDialog
          onSet={(dateTime) => remind(messageId, { kind: "local", dateTime })}
          onClose={() => {
            setCustomOpen(false);
            remindButton.current?.focus();
          }}
        />
      ) : null}
    </>
  );
}

/** The choices; `onPick(null)` is "Custom…". A press outside closes it. */
function RemindMenu({
  anchor,
  onPick,
  onClose,
}: {
  anchor: RefObject<HTMLButtonElement | null>;
  onPick: (when: TReminderWhen | null) => void;
  onClose: () => void;
}) {
  const t = useTranslations("Later");
  const menu = useRef<HTMLDivElement>(null);
  // Opens upwards in the lower half of the window (the newest messages), so it is never cut off.
  const [isUp] = useState(
    () => (anchor.current?.getBoundingClientRect().bottom ?? 0) > window.innerHeight / 2,
  );
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    menu.current?.querySelector<HTMLElement>("[role=menuitem]")?.focus();
    const onDown = (e: MouseEvent) => {
      if (menu.current && !menu.current.parentElement?.contains(e.target as Node)) close.current();
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, []);
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = [...(menu.current?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    let to: number | null = null;
    switch (e.key) {
      case "ArrowDown":
        to = (at + 1) % items.length;
        break;
      case "ArrowUp":
        to = (at - 1 + items.length) % items.length;
        break;
      case "Home":
        to = 0;
        break;
      case "End":
        to = items.length - 1;
        break;
      case "Escape":
        onClose();
        break;
      case "Tab":
        onClose();
        return;
      case "ArrowLeft":
      case "ArrowRight":
        break; // the toolbar's ←/→ would leave the menu open behind
      default:
        return;
    }
    if (to !== null) items[to]?.focus();
    // The feed's and the toolbar's keys (lib/roving-feed.ts) and the app's Escape leave an open menu alone.
    e.preventDefault();
    e.stopPropagation();
  };
  return (
    <div
      className={isUp ? "menu later-menu up" : "menu later-menu"}
      role="menu"
      aria-label={t("remind")}
      ref={menu}
      onKeyDown={onKeyDown}
    >
      {CHOICES.map((c) => (
        <button key={c.label} type="button" role="menuitem" tabIndex={-1} onClick={() => onPick(c.when)}>
          {t(`choices.${c.label}`)}
        </button>
      ))}
      <button type="button" role="menuitem" tabIndex={-1} onClick={() => onPick(null)}>
        {t("custom")}
      </button>
    </div>
  );
}

/** A modal dialog: a date and time in the profile's time zone; Escape or Cancel closes it. */
function CustomReminderDialog({
  onSet,
  onClose,
}: {
  onSet: (dateTime: string) => Promise<unknown>;
  onClose: () => void;
}) {
  const t = useTranslations("Later");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const settings = useQuery(trpc.notifications.settings.queryOptions(undefined, { staleTime: 60_000 }));
  const timeZone = settings.data?.timeZone ?? "UTC";
  const dialog = useRef<HTMLDialogElement>(null);
  const ids = useId();
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const [picked, setPicked] = useState<string | null>(null);
  // An hour from now on the profile's clock, until the reader picks something.
  const value = picked ?? wallClock(new Date(Date.now() + 3_600_000), timeZone);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return createPortal(
    <dialog ref={dialog} className="later-dialog" aria-labelledby={`${ids}-title`} onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          onSet(value.slice(0, 16)).then(
            () => dialog.current?.close(),
            (err: unknown) => {
              setBusy(false);
              setError(errorText(err, t("error")));
            },
          );
        }}
      >
        <h2 id={`${ids}-title`}>{t("remind")}</h2>
        <label htmlFor={`${ids}-when`}>{t("dateTime")}</label>
        <input
          id={`${ids}-when`}
          type="datetime-local"
          required
          value={value}
          min={wallClock(new Date(), timeZone)}
          onChange={(e) => setPicked(e.target.value)}
          aria-describedby={`${ids}-zone`}
        />
        <p className="muted" id={`${ids}-zone`}>
          {t("zone", { timeZone })}
        </p>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
        <div className="later-dialog-buttons">
          <button type="button" onClick={() => dialog.current?.close()}>
            {t("cancel")}
          </button>
          <button type="submit" className="primary" disabled={isBusy}>
            {t("set")}
          </button>
        </div>
      </form>
    </dialog>,
    document.body,
  );
}

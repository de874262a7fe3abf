"use client";

/**
 * Ctrl/⌘+/ (as in Slack): every keyboard shortcut of the app, in a native modal <dialog> (focus
 * stays inside, Escape closes it, focus returns to where it was). Keep the list true when a
 * shortcut is added (app-shell.tsx, composer.tsx, lib/roving-feed.ts; docs/accessibility.md's map).
 */
import { useTranslations } from "next-intl";
import { useEffect, useId, useRef } from "react";

type TShortcut = { keys: readonly (readonly string[])[]; what: string };

export const SHORTCUT_GROUPS: readonly { title: string; shortcuts: readonly TShortcut[] }[] = [
  {
    title: "anywhere",
    shortcuts: [
      { keys: [["Ctrl", "K"]], what: "jump" },
      { keys: [["Ctrl", "F"]], what: "search" },
      {
        keys: [
          ["Alt", "↑"],
          ["Alt", "↓"],
        ],
        what: "stepConversation",
      },
      { keys: [["Esc"]], what: "markRead" },
      { keys: [["Shift", "Esc"]], what: "markAllRead" },
      { keys: [["Ctrl", "/"]], what: "showShortcuts" },
    ],
  },
  {
    title: "messages",
    shortcuts: [
      { keys: [["↑"], ["↓"]], what: "stepMessage" },
      { keys: [["Home"], ["End"]], what: "firstLast" },
      { keys: [["Enter"]], what: "actions" },
      { keys: [["A"]], what: "save" },
    ],
  },
  {
    title: "composer",
    shortcuts: [
      { keys: [["Enter"]], what: "send" },
      { keys: [["Shift", "Enter"]], what: "newLine" },
      { keys: [["↑"]], what: "editLast" },
      { keys: [["@"], [":"]], what: "mention" },
    ],
  },
];

export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
  const t = useTranslations("Shortcuts");
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const opener = document.activeElement;
    dialog.current?.showModal();
    return () => {
      if (opener instanceof HTMLElement) opener.focus();
    };
  }, []);
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: a click on the backdrop closes it; Escape is the dialog's own
    <dialog
      ref={dialog}
      className="shortcuts-dialog"
      aria-labelledby={titleId}
      onClose={onClose}
      onClick={(e) => {
        if (e.target === dialog.current) onClose();
      }}
    >
      <h2 id={titleId}>{t("heading")}</h2>
      <p className="muted">{t("mac")}</p>
      {SHORTCUT_GROUPS.map((group) => (
        <table key={group.title}>
          <caption>{t(`groups.${group.title}`)}</caption>
          <tbody>
            {group.shortcuts.map((s) => (
              <tr key={s.what}>
                <th scope="row">
                  {s.keys.map((combo, i) => (
                    <span key={combo.join("+")}>
                      {i > 0 ? ` ${t("or")} ` : null}
                      {combo.map((key, j) => (
                        <span key={key}>
                          {j > 0 ? "+" : null}
                          <kbd>{key}</kbd>
                        </span>
                      ))}
                    </span>
                  ))}
                </th>
                <td>{t(`what.${s.what}`)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      <form method="dialog">
        <button type="submit">{t("close")}</button>
      </form>
    </dialog>
  );
}

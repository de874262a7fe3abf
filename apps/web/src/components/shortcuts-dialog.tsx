"use client";

/**
 * Ctrl/⌘+/ (as in Slack): every keyboard shortcut of the app, in a native modal <dialog> (focus
 * stays inside, Escape closes it, focus returns to where it was). Keep the list true when a
 * shortcut is added (app-shell.tsx, composer.tsx, lib/roving-feed.ts; docs/accessibility.md's map).
 */
import { useEffect, useId, useRef } from "react";

type TShortcut = { keys: readonly (readonly string[])[]; what: string };

export const SHORTCUT_GROUPS: readonly { title: string; shortcuts: readonly TShortcut[] }[] = [
  {
    title: "Anywhere",
    shortcuts: [
      { keys: [["Ctrl", "K"]], what: "Jump to a channel or person" },
      { keys: [["Ctrl", "F"]], what: "Search messages (in the open conversation first)" },
      {
        keys: [
          ["Alt", "↑"],
          ["Alt", "↓"],
        ],
        what: "Previous or next conversation in the sidebar",
      },
      { keys: [["Esc"]], what: "Mark this conversation as read" },
      { keys: [["Shift", "Esc"]], what: "Mark all conversations as read" },
      { keys: [["Ctrl", "/"]], what: "Show these shortcuts" },
    ],
  },
  {
    title: "Messages",
    shortcuts: [
      { keys: [["↑"], ["↓"]], what: "Previous or next message (Page Up and Page Down too)" },
      { keys: [["Home"], ["End"]], what: "First or last message on screen" },
      { keys: [["Enter"]], what: "The message's actions (← and → move, Esc goes back)" },
      { keys: [["A"]], what: "Save the message for later, or remove it from Saved" },
    ],
  },
  {
    title: "Composer",
    shortcuts: [
      { keys: [["Enter"]], what: "Send" },
      { keys: [["Shift", "Enter"]], what: "New line" },
      { keys: [["↑"]], what: "Edit your last message (in an empty box)" },
      { keys: [["@"], [":"]], what: "Mention someone, or pick an emoji" },
    ],
  },
];

export function ShortcutsDialog({ onClose }: { onClose: () => void }) {
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
      <h2 id={titleId}>Keyboard shortcuts</h2>
      <p className="muted">On a Mac, ⌘ works where Ctrl is shown.</p>
      {SHORTCUT_GROUPS.map((group) => (
        <table key={group.title}>
          <caption>{group.title}</caption>
          <tbody>
            {group.shortcuts.map((s) => (
              <tr key={s.what}>
                <th scope="row">
                  {s.keys.map((combo, i) => (
                    <span key={combo.join("+")}>
                      {i > 0 ? " or " : null}
                      {combo.map((key, j) => (
                        <span key={key}>
                          {j > 0 ? "+" : null}
                          <kbd>{key}</kbd>
                        </span>
                      ))}
                    </span>
                  ))}
                </th>
                <td>{s.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </dialog>
  );
}

"use client";

import { type KeyboardEvent, type RefObject, useEffect, useRef, useState } from "react";

/**
 * What a modal picker (the quick switcher, message search) shares: a press outside the dialog
 * closes it, focus goes back where it was unless the picker navigated (`leave`), the active option
 * stays scrolled into view, and ↑/↓/Enter/Escape on its input move, pick and close.
 */
export function usePicker(options: {
  onClose: () => void;
  /** The id of the active option's element (null when none), kept in view. */
  activeId: string | null;
  count: number;
  setActive: (update: (i: number) => number) => void;
  onPick: () => void;
}): { dialog: RefObject<HTMLDivElement | null>; leave: () => void; onKeyDown: (e: KeyboardEvent) => void } {
  const dialog = useRef<HTMLDivElement>(null);
  // Read while rendering: by the first effect the picker's own autoFocus input has focus already.
  const [opener] = useState(() => (typeof document === "undefined" ? null : document.activeElement));
  const returnFocus = useRef<Element | null>(opener);
  const close = useRef(options.onClose);
  close.current = options.onClose;

  useEffect(() => {
    const onDown = (e: MouseEvent) => {
      if (dialog.current && !dialog.current.contains(e.target as Node)) close.current();
    };
    document.addEventListener("mousedown", onDown);
    return () => {
      document.removeEventListener("mousedown", onDown);
      if (returnFocus.current instanceof HTMLElement) returnFocus.current.focus();
    };
  }, []);

  useEffect(() => {
    if (options.activeId) document.getElementById(options.activeId)?.scrollIntoView({ block: "nearest" });
  }, [options.activeId]);

  const { count, setActive, onPick } = options;
  return {
    dialog,
    // The new page decides where focus goes.
    leave: () => {
      returnFocus.current = null;
    },
    onKeyDown: (e) => {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        setActive((i) => (count ? (i + 1) % count : 0));
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        setActive((i) => (count ? (i - 1 + count) % count : 0));
      } else if (e.key === "Enter") {
        e.preventDefault();
        onPick();
      } else if (e.key === "Escape") {
        e.preventDefault();
        close.current();
      }
    },
  };
}

"use client";

import { type KeyboardEvent, useRef, useState } from "react";

/** The message box: Enter sends, Shift+Enter breaks the line. */
export function Composer({
  label,
  onSend,
  onTyping,
  isDisabled,
}: {
  label: string;
  onSend: (body: string) => boolean;
  /** Called on every edit that leaves text in the box. */
  onTyping: () => void;
  isDisabled: boolean;
}) {
  const [text, setText] = useState("");
  const ref = useRef<HTMLTextAreaElement>(null);

  function submit() {
    const body = text.trim();
    if (!body || !onSend(body)) return;
    setText("");
    ref.current?.focus();
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter is a newline; never send mid IME composition.
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  }

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor="composer" className="visually-hidden">
        {label}
      </label>
      <div className="row" style={{ alignItems: "flex-end" }}>
        <textarea
          id="composer"
          ref={ref}
          rows={2}
          value={text}
          placeholder={label}
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value.trim()) onTyping();
          }}
          onKeyDown={onKeyDown}
          style={{ flex: 1 }}
        />
        <button type="submit" className="primary" disabled={isDisabled || !text.trim()}>
          Send
        </button>
      </div>
      <div className="hint">Enter to send · Shift+Enter for a new line</div>
    </form>
  );
}

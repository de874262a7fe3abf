"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { fieldError } from "~/lib/field-errors";
import { useTRPC } from "~/trpc/react";

const SUGGESTIONS: readonly { emoji: string; text: string }[] = [
  { emoji: "📅", text: "In a meeting" },
  { emoji: "🚌", text: "Commuting" },
  { emoji: "🤒", text: "Out sick" },
  { emoji: "🌴", text: "On vacation" },
  { emoji: "🏡", text: "Working remotely" },
];

/** The caller's custom status (emoji + text) in the sidebar footer: set, change or clear it. */
export function StatusEditor({ me }: { me: { statusEmoji: string; statusText: string } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [isOpen, setOpen] = useState(false);
  const [emoji, setEmoji] = useState(me.statusEmoji);
  const [text, setText] = useState(me.statusText);
  const save = useMutation(
    trpc.users.setStatus.mutationOptions({
      onSuccess: async () => {
        setOpen(false);
        await queryClient.invalidateQueries(trpc.users.pathFilter());
        await queryClient.invalidateQueries(trpc.conversations.members.pathFilter());
      },
    }),
  );
  const hasStatus = Boolean(me.statusEmoji || me.statusText);

  function open() {
    setEmoji(me.statusEmoji);
    setText(me.statusText);
    save.reset();
    setOpen(true);
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate({ emoji: emoji.trim(), text: text.trim() });
  }

  if (!isOpen) {
    return (
      <button
        type="button"
        className="status-button"
        onClick={open}
        aria-label={hasStatus ? "Edit status" : "Set a status"}
      >
        <span aria-hidden="true">{me.statusEmoji || "🙂"}</span>{" "}
        <span className={hasStatus ? "" : "placeholder"}>
          {hasStatus ? me.statusText || "Status set" : "Set a status"}
        </span>
      </button>
    );
  }

  return (
    <form className="status-editor" onSubmit={submit} aria-label="Set a status">
      <div className="status-inputs">
        <input
          type="text"
          aria-label="Status emoji"
          className="status-emoji"
          value={emoji}
          maxLength={16}
          placeholder="🙂"
          aria-invalid={fieldError(save.error, "emoji") ? true : undefined}
          aria-describedby={save.error ? "status-error" : undefined}
          onChange={(e) => setEmoji(e.target.value)}
        />
        <input
          type="text"
          aria-label="Status text"
          value={text}
          maxLength={100}
          placeholder="What's your status?"
          aria-invalid={fieldError(save.error, "text") ? true : undefined}
          aria-describedby={save.error ? "status-error" : undefined}
          // biome-ignore lint/a11y/noAutofocus: the user just opened the status editor
          autoFocus
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") setOpen(false);
          }}
        />
      </div>
      <ul className="status-suggestions" aria-label="Suggestions">
        {SUGGESTIONS.map((s) => (
          <li key={s.text}>
            <button
              type="button"
              className="quiet"
              onClick={() => {
                setEmoji(s.emoji);
                setText(s.text);
              }}
            >
              <span aria-hidden="true">{s.emoji}</span> {s.text}
            </button>
          </li>
        ))}
      </ul>
      {save.error ? (
        <p role="alert" className="error" id="status-error">
          {save.error.message}
        </p>
      ) : null}
      <div className="status-actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          Save status
        </button>
        {hasStatus ? (
          <button
            type="button"
            disabled={save.isPending}
            onClick={() => save.mutate({ emoji: "", text: "" })}
          >
            Clear status
          </button>
        ) : null}
        <button type="button" className="quiet" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

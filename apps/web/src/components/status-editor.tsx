"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { useErrorText, useFieldError } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

/** `key` names the text in Status.suggestions.* (set in the user's language). */
const SUGGESTIONS: readonly { emoji: string; key: string }[] = [
  { emoji: "📅", key: "meeting" },
  { emoji: "🚌", key: "commuting" },
  { emoji: "🤒", key: "sick" },
  { emoji: "🌴", key: "vacation" },
  { emoji: "🏡", key: "remote" },
];

/** The caller's custom status (emoji + text) in the sidebar footer: set, change or clear it. */
export function StatusEditor({ me }: { me: { statusEmoji: string; statusText: string } }) {
  const fieldError = useFieldError();
  const t = useTranslations("Status");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [isOpen, setOpen] = useState(false);
  const [emoji, setEmoji] = useState(me.statusEmoji);
  const [text, setText] = useState(me.statusText);
  const save = useMutation(
    trpc.users.setStatus.mutationOptions({
      onSuccess: async () => {
        setOpen(false);
        await refetchFresh(queryClient, trpc.users.pathFilter());
        await refetchFresh(queryClient, trpc.conversations.members.pathFilter());
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
        aria-label={hasStatus ? t("edit") : t("set")}
      >
        <span aria-hidden="true">{me.statusEmoji || "🙂"}</span>{" "}
        <span className={hasStatus ? "" : "placeholder"}>
          {hasStatus ? me.statusText || t("isSet") : t("set")}
        </span>
      </button>
    );
  }

  return (
    <form className="status-editor" onSubmit={submit} aria-label={t("set")}>
      <div className="status-inputs">
        <input
          type="text"
          aria-label={t("emoji")}
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
          aria-label={t("text")}
          value={text}
          maxLength={100}
          placeholder={t("placeholder")}
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
      <ul className="status-suggestions" aria-label={t("suggestionsLabel")}>
        {SUGGESTIONS.map((s) => (
          <li key={s.key}>
            <button
              type="button"
              className="quiet"
              onClick={() => {
                setEmoji(s.emoji);
                setText(t(`suggestions.${s.key}`));
              }}
            >
              <span aria-hidden="true">{s.emoji}</span> {t(`suggestions.${s.key}`)}
            </button>
          </li>
        ))}
      </ul>
      {save.error ? (
        <p role="alert" className="error" id="status-error">
          {errorText(save.error)}
        </p>
      ) : null}
      <div className="status-actions">
        <button type="submit" className="primary" disabled={save.isPending}>
          {t("save")}
        </button>
        {hasStatus ? (
          <button
            type="button"
            disabled={save.isPending}
            onClick={() => save.mutate({ emoji: "", text: "" })}
          >
            {t("clear")}
          </button>
        ) : null}
        <button type="button" className="quiet" onClick={() => setOpen(false)}>
          {t("cancel")}
        </button>
      </div>
    </form>
  );
}

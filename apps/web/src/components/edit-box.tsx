"use client";

/** A message's inline editor (the row's Edit action): Enter saves, Shift+Enter is a newline, Escape cancels. */
import { useTranslations } from "next-intl";
import { useState } from "react";
import { useErrorText } from "~/i18n/server-errors";

/** Inline editor: Enter saves, Shift+Enter is a newline, Escape cancels. */
export function EditBox({
  initial,
  onSave,
  onCancel,
}: {
  initial: string;
  onSave: (body: string) => Promise<unknown>;
  onCancel: () => void;
}) {
  const t = useTranslations("Composer");
  const errorText = useErrorText();
  const [text, setText] = useState(initial);
  const [isSaving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function save() {
    const body = text.trim();
    if (!body || isSaving) return;
    if (body === initial.trim()) return onCancel();
    setSaving(true);
    try {
      await onSave(body);
      onCancel();
    } catch (err) {
      setError(errorText(err, t("error")));
      setSaving(false);
    }
  }

  return (
    <div className="edit-box">
      <textarea
        aria-label={t("editBox")}
        // biome-ignore lint/a11y/noAutofocus: the user just asked to edit this message
        autoFocus
        rows={2}
        value={text}
        disabled={isSaving}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.preventDefault();
            onCancel();
          } else if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void save();
          }
        }}
      />
      <div className="hint">
        {t("hintEditing")}{" "}
        <button type="button" className="link" onClick={() => void save()} disabled={isSaving}>
          {t("save")}
        </button>{" "}
        <button type="button" className="link" onClick={onCancel}>
          {t("cancel")}
        </button>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

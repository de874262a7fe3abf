import { useTranslations } from "next-intl";
import { type InputHTMLAttributes, useId } from "react";
import { useErrorText } from "~/i18n/server-errors";
import { CORRECT_FIELDS, formErrorMessage } from "~/lib/field-errors";

type Props = {
  label: string;
  hint?: string;
  /** The server's message about this field (see lib/field-errors.ts `fieldError`), shown under it. */
  error?: string | undefined;
} & InputHTMLAttributes<HTMLInputElement>;

/** A labelled text input (the label is what assistive tech and e2e tests find it by). */
export function Field({ label, hint, error, ...input }: Props) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        aria-describedby={describedBy || undefined}
        aria-invalid={error ? true : undefined}
        {...input}
      />
      {error ? (
        <small id={errorId} className="error field-error">
          {error}
        </small>
      ) : null}
      {hint ? (
        <small id={hintId} className="muted">
          {hint}
        </small>
      ) : null}
    </div>
  );
}

/** An error line announced to screen readers; renders nothing without a message. */
export function FormError({
  message,
  error,
  fields = [],
}: {
  /** A text of the form's own (already in the user's language). */
  message?: string | null | undefined;
  /** A failed call's error, shown in the user's language (i18n/server-errors.ts). */
  error?: unknown;
  /** Fields that show their own issues: when they cover every issue, say so instead (`formErrorMessage`). */
  fields?: readonly string[];
}) {
  const t = useTranslations("Form");
  const errorText = useErrorText();
  const formMessage = error ? formErrorMessage(error, fields) : undefined;
  const text =
    message || (formMessage === CORRECT_FIELDS ? t("correctFields") : errorText(error, formMessage));
  if (!text) return null;
  return (
    <p role="alert" className="error">
      {text === CORRECT_FIELDS ? t("correctFields") : text}
    </p>
  );
}

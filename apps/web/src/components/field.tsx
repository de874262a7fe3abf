import { useTranslations } from "next-intl";
import { type InputHTMLAttributes, useId } from "react";
import { CORRECT_FIELDS } from "~/lib/field-errors";

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
export function FormError({ message }: { message: string | null | undefined }) {
  const t = useTranslations("Form");
  if (!message) return null;
  return (
    <p role="alert" className="error">
      {message === CORRECT_FIELDS ? t("correctFields") : message}
    </p>
  );
}

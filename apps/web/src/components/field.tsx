import { type InputHTMLAttributes, useId } from "react";

type Props = { label: string; hint?: string } & InputHTMLAttributes<HTMLInputElement>;

/** A labelled text input (the label is what assistive tech and e2e tests find it by). */
export function Field({ label, hint, ...input }: Props) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="text" aria-describedby={hint ? hintId : undefined} {...input} />
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
  if (!message) return null;
  return (
    <p role="alert" className="error">
      {message}
    </p>
  );
}

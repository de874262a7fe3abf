"use client";

import { useTranslations } from "next-intl";
import { type ChangeEvent, useEffect, useId, useRef, useState } from "react";
import { passwordStrength, type TStrength } from "~/lib/password-strength";

/** Account.strength.* message keys, by zxcvbn score 0–4. */
const LABELS = ["veryWeak", "weak", "fair", "strong", "veryStrong"] as const;

/**
 * A new-password input with a strength meter (zxcvbn, the same rule the server enforces:
 * "Fair" and below are refused). The dictionaries load once typing pauses (400 ms), so a form
 * filled and sent at once (autofill, scripts) never pays for them.
 *
 * The input is uncontrolled: what was typed before the page became interactive stays (hydrating a
 * controlled input with `value=""` emptied it, and the browser then refused to submit the form,
 * its required password being empty — a sign-up test under load saw exactly that), and is read
 * once on mount for the meter.
 */
export function NewPasswordField({
  label,
  name = "password",
  error,
}: {
  label?: string;
  name?: string;
  /** The server's message about this field (lib/field-errors.ts `fieldError`), shown under it. */
  error?: string | undefined;
}) {
  const t = useTranslations("Account");
  const id = useId();
  const [value, setValue] = useState("");
  const [strength, setStrength] = useState<TStrength | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    // Typed (or autofilled) before hydration: the meter starts from it.
    if (input.current?.value) setValue(input.current.value);
  }, []);

  useEffect(() => {
    if (!value) {
      setStrength(null);
      return;
    }
    let stale = false;
    const timer = setTimeout(() => {
      passwordStrength(value).then(
        (s) => {
          if (!stale) setStrength(s);
        },
        () => undefined,
      );
    }, 400);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [value]);

  /** zxcvbn's reasons (message keys, lib/password-strength.ts) in the user's language. */
  const feedbackText = (keys: readonly string[]) =>
    keys.length > 0 ? `. ${keys.map((key) => t(`passwordFeedback.${key}`)).join(" ")}` : "";
  const text = !value
    ? t("passwordHint")
    : value.length < 8
      ? t("passwordShort")
      : strength
        ? `${t(`strength.${LABELS[strength.score] ?? "veryWeak"}`)}${strength.ok ? "" : ` — ${t("tooEasy")}`}${feedbackText(strength.feedback)}`
        : t("checking");

  return (
    <div className="field">
      <label htmlFor={id}>{label ?? t("password")}</label>
      <input
        id={id}
        name={name}
        type="password"
        required
        minLength={8}
        maxLength={256}
        autoComplete="new-password"
        aria-describedby={error ? `${id}-error ${id}-strength` : `${id}-strength`}
        aria-invalid={error ? true : undefined}
        ref={input}
        onChange={(e: ChangeEvent<HTMLInputElement>) => setValue(e.target.value)}
      />
      <meter
        className="strength"
        aria-label={t("strengthLabel")}
        min={0}
        max={4}
        low={2.5}
        high={3.5}
        optimum={4}
        value={value.length >= 8 && strength ? strength.score : 0}
      />
      {error ? (
        <small id={`${id}-error`} className="error field-error">
          {error}
        </small>
      ) : null}
      <small id={`${id}-strength`} className="muted" data-testid="password-strength">
        {text}
      </small>
    </div>
  );
}

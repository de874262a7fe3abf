"use client";

/**
 * What creating an account asks for (name, email, a new password) and what follows it (sign in,
 * open the app): shared by first-run setup and sign-up.
 */
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { Field } from "~/components/field";
import { NewPasswordField } from "~/components/password-field";
import { useErrorText, useFieldError } from "~/i18n/server-errors";
import { errorMessage, signInWithPassword, useSignInFailureText } from "~/lib/sign-in";

/** The name, email and new-password fields; `error` is the failed mutation's (per-field messages). */
export function AccountFields({ error, autoFocus = false }: { error: unknown; autoFocus?: boolean }) {
  const fieldError = useFieldError();
  const t = useTranslations("Account");
  return (
    <>
      <Field
        label={t("name")}
        name="name"
        required
        maxLength={80}
        autoComplete="name"
        autoFocus={autoFocus}
        error={fieldError(error, "name")}
      />
      <Field
        label={t("email")}
        name="email"
        type="email"
        required
        autoComplete="email"
        error={fieldError(error, "email")}
      />
      <NewPasswordField error={fieldError(error, "password")} />
    </>
  );
}

/** The account fields of a submitted form. */
export type TAccountInput = { name: string; email: string; password: string };

/**
 * A submit handler that creates the account with `create`, signs in with it and opens the app;
 * `error` is the form-level message to show, `busy` true from submit until the app opens or it failed.
 */
export function useCreateAccount(create: (account: TAccountInput, form: FormData) => Promise<unknown>) {
  const errorText = useErrorText();
  const failureText = useSignInFailureText();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const account = {
      name: String(form.get("name")),
      email: String(form.get("email")),
      password: String(form.get("password")),
    };
    setError(null);
    setBusy(true);
    try {
      await create(account, form);
      const failed = await signInWithPassword(account.email, account.password);
      if (failed) throw new Error(failureText(failed));
      window.location.assign("/app");
    } catch (err) {
      setError(errorMessage(err, errorText));
      setBusy(false);
    }
  }

  return { onSubmit, error, busy };
}

"use client";

import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { Field, FormError } from "~/components/field";
import { signInWithPassword, useSignInFailureText } from "~/lib/sign-in";
import { useHydrated } from "~/lib/use-hydrated";

export function SignInForm() {
  const t = useTranslations("SignIn");
  const hydrated = useHydrated();
  const failureText = useSignInFailureText();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setError(null);
    setBusy(true);
    const failed = await signInWithPassword(String(form.get("email")), String(form.get("password")));
    if (failed) {
      setError(failureText(failed));
      setBusy(false);
      return;
    }
    window.location.assign("/app");
  }

  return (
    <form className="form" method="post" onSubmit={onSubmit}>
      <Field label={t("email")} name="email" type="email" required autoComplete="email" autoFocus />
      <Field label={t("password")} name="password" type="password" required autoComplete="current-password" />
      <FormError message={error} />
      <button className="primary" type="submit" disabled={busy || !hydrated}>
        {busy ? t("signingIn") : t("signIn")}
      </button>
    </form>
  );
}

"use client";

import { type FormEvent, useState } from "react";
import { Field, FormError } from "~/components/field";
import { signInWithPassword } from "~/lib/sign-in";

export function SignInForm() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setError(null);
    setBusy(true);
    const failed = await signInWithPassword(String(form.get("email")), String(form.get("password")));
    if (failed) {
      setError(failed);
      setBusy(false);
      return;
    }
    window.location.assign("/app");
  }

  return (
    <form className="form" onSubmit={onSubmit}>
      <Field label="Email" name="email" type="email" required autoComplete="email" autoFocus />
      <Field label="Password" name="password" type="password" required autoComplete="current-password" />
      <FormError message={error} />
      <button className="primary" type="submit" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

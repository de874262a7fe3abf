"use client";

import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Field, FormError } from "~/components/field";
import { NewPasswordField } from "~/components/password-field";
import { fieldError } from "~/lib/field-errors";
import { errorMessage, signInWithPassword } from "~/lib/sign-in";
import { useTRPC } from "~/trpc/react";

export function SignUpForm({ inviteToken }: { inviteToken?: string | undefined }) {
  const trpc = useTRPC();
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const email = String(form.get("email"));
    const password = String(form.get("password"));
    setError(null);
    setBusy(true);
    try {
      await signUp.mutateAsync({ name: String(form.get("name")), email, password, inviteToken });
      const failed = await signInWithPassword(email, password);
      if (failed) throw new Error(failed);
      window.location.assign("/app");
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={onSubmit}>
      <Field
        label="Your name"
        name="name"
        required
        maxLength={80}
        autoComplete="name"
        autoFocus
        error={fieldError(signUp.error, "name")}
      />
      <Field
        label="Email"
        name="email"
        type="email"
        required
        autoComplete="email"
        error={fieldError(signUp.error, "email")}
      />
      <NewPasswordField error={fieldError(signUp.error, "password")} />
      <FormError message={error} />
      <button className="primary" type="submit" disabled={busy}>
        {busy ? "Creating account…" : "Create account"}
      </button>
    </form>
  );
}

"use client";

import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Field, FormError } from "~/components/field";
import { NewPasswordField } from "~/components/password-field";
import { fieldError } from "~/lib/field-errors";
import { errorMessage, signInWithPassword } from "~/lib/sign-in";
import { useTRPC } from "~/trpc/react";

export function SetupForm() {
  const trpc = useTRPC();
  const setup = useMutation(trpc.workspace.setup.mutationOptions());
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
      await setup.mutateAsync({
        workspaceName: String(form.get("workspaceName")),
        name: String(form.get("name")),
        email,
        password,
      });
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
        label="Workspace name"
        name="workspaceName"
        required
        maxLength={80}
        autoFocus
        error={fieldError(setup.error, "workspaceName")}
      />
      <Field
        label="Your name"
        name="name"
        required
        maxLength={80}
        autoComplete="name"
        error={fieldError(setup.error, "name")}
      />
      <Field
        label="Email"
        name="email"
        type="email"
        required
        autoComplete="email"
        error={fieldError(setup.error, "email")}
      />
      <NewPasswordField error={fieldError(setup.error, "password")} />
      <FormError message={error} />
      <button className="primary" type="submit" disabled={busy}>
        {busy ? "Creating…" : "Create workspace"}
      </button>
    </form>
  );
}

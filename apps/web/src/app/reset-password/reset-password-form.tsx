"use client";

import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { type FormEvent, useState } from "react";
import { FormError } from "~/components/field";
import { NewPasswordField } from "~/components/password-field";
import { useFieldError } from "~/i18n/server-errors";
import { useHydrated } from "~/lib/use-hydrated";
import { useTRPC } from "~/trpc/react";

/** The new password for a reset link's token; the server spends the token (it works once). */
export function ResetPasswordForm({ token }: { token: string }) {
  const fieldError = useFieldError();
  const t = useTranslations("ResetPassword");
  const hydrated = useHydrated();
  const trpc = useTRPC();
  const reset = useMutation(trpc.auth.resetPassword.mutationOptions());
  const [done, setDone] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const password = String(new FormData(e.currentTarget).get("password"));
    await reset.mutateAsync({ token, password }).then(
      () => setDone(true),
      () => undefined,
    );
  }

  if (done) {
    return <p role="status">{t.rich("done", { link: (chunks) => <a href="/sign-in">{chunks}</a> })}</p>;
  }
  return (
    <form className="form" method="post" onSubmit={onSubmit}>
      <NewPasswordField error={fieldError(reset.error, "password")} />
      <FormError error={reset.error} fields={["password"]} />
      <button className="primary" type="submit" disabled={reset.isPending || !hydrated}>
        {reset.isPending ? t("saving") : t("set")}
      </button>
    </form>
  );
}

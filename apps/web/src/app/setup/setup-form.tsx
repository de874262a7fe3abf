"use client";

import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { AccountFields, useCreateAccount } from "~/components/account-fields";
import { Field, FormError } from "~/components/field";
import { useFieldError } from "~/i18n/server-errors";
import { useHydrated } from "~/lib/use-hydrated";
import { useTRPC } from "~/trpc/react";

export function SetupForm() {
  const fieldError = useFieldError();
  const t = useTranslations("Setup");
  const hydrated = useHydrated();
  const trpc = useTRPC();
  const setup = useMutation(trpc.workspace.setup.mutationOptions());
  const { onSubmit, error, busy } = useCreateAccount((account, form) =>
    setup.mutateAsync({ workspaceName: String(form.get("workspaceName")), ...account }),
  );

  return (
    <form className="form" method="post" onSubmit={onSubmit}>
      <Field
        label={t("workspaceName")}
        name="workspaceName"
        required
        maxLength={80}
        autoFocus
        error={fieldError(setup.error, "workspaceName")}
      />
      <AccountFields error={setup.error} />
      <FormError message={error} />
      <button className="primary" type="submit" disabled={busy || !hydrated}>
        {busy ? t("creating") : t("create")}
      </button>
    </form>
  );
}

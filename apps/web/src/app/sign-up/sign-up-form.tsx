"use client";

import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { AccountFields, useCreateAccount } from "~/components/account-fields";
import { FormError } from "~/components/field";
import { useHydrated } from "~/lib/use-hydrated";
import { useTRPC } from "~/trpc/react";

export function SignUpForm({ inviteToken }: { inviteToken?: string | undefined }) {
  const t = useTranslations("SignUp");
  const hydrated = useHydrated();
  const trpc = useTRPC();
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());
  const { onSubmit, error, busy } = useCreateAccount((account) =>
    signUp.mutateAsync({ ...account, inviteToken }),
  );

  return (
    <form className="form" method="post" onSubmit={onSubmit}>
      <AccountFields error={signUp.error} autoFocus />
      <FormError message={error} />
      <button className="primary" type="submit" disabled={busy || !hydrated}>
        {busy ? t("creating") : t("create")}
      </button>
    </form>
  );
}

"use client";

/**
 * Admins: single sign-on — whether the server has an OpenID provider configured (OIDC_* settings)
 * and the workspace's "SSO only" switch (workspace.setSsoOnly: audited; the server refuses to turn
 * it on without a provider). The refusals themselves are the server's (core/src/sso).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { FormError } from "~/components/field";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

/** Settings → Joining → Single sign-on (admins). */
export function SsoSettings() {
  const t = useTranslations("Sso");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.workspace.ssoSettings.queryOptions());
  const save = useMutation(
    trpc.workspace.setSsoOnly.mutationOptions({
      onSuccess: async () => {
        await refetchFresh(queryClient, trpc.workspace.ssoSettings.queryFilter());
        await refetchFresh(queryClient, trpc.workspace.status.queryFilter());
      },
    }),
  );
  const data = current.data;
  return (
    <>
      <h3>{t("heading")}</h3>
      <p className="muted">{data?.isConfigured ? t("configured") : t("notConfigured")}</p>
      <label className="check">
        <input
          type="checkbox"
          checked={data?.ssoOnly ?? false}
          disabled={!data || save.isPending || (!data.isConfigured && !data.ssoOnly)}
          onChange={(e) => save.mutate({ ssoOnly: e.target.checked })}
        />
        {t("only")}
      </label>
      <FormError error={current.error ?? save.error} />
    </>
  );
}

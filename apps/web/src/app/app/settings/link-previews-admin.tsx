"use client";

/** Admins: whether the server fetches link previews for new messages (core/src/previews/settings.ts). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { FormError } from "~/components/field";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

export function LinkPreviewsAdmin() {
  const t = useTranslations("LinkPreviews");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.workspace.linkPreviews.queryOptions());
  const save = useMutation(
    trpc.workspace.setLinkPreviews.mutationOptions({
      onSuccess: () => refetchFresh(queryClient, trpc.workspace.linkPreviews.queryFilter()),
    }),
  );
  return (
    <section className="card" aria-labelledby="link-previews-heading">
      <h2 id="link-previews-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      <label className="check">
        <input
          type="checkbox"
          disabled={!current.data || save.isPending}
          checked={current.data?.enabled ?? false}
          onChange={(e) => save.mutate({ enabled: e.target.checked })}
        />
        {t("show")}
      </label>
      <FormError error={save.error} />
    </section>
  );
}

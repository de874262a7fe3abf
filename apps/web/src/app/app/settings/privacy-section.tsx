"use client";

/** Settings → Privacy: the "send read receipts" switch (receipts.settings / receipts.setEnabled). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { useErrorText } from "~/i18n/server-errors";
import { refetchFresh } from "~/lib/refetch";
import { useTRPC } from "~/trpc/react";

export function PrivacySettings() {
  const t = useTranslations("Privacy");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.receipts.settings.queryOptions());
  // The choice being saved, set in the same event as the click: the mutation's own pending state
  // arrives a render later, and a controlled checkbox springs back in between.
  const [choice, setChoice] = useState<boolean | null>(null);
  const setEnabled = useMutation(
    trpc.receipts.setEnabled.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.receipts.settings.queryKey(), saved);
        return refetchFresh(queryClient, trpc.receipts.get.pathFilter());
      },
    }),
  );
  const isOn = choice ?? settings.data?.sendReadReceipts ?? true;
  return (
    <section className="card" aria-labelledby="privacy-heading">
      <h2 id="privacy-heading">{t("heading")}</h2>
      <label>
        <input
          type="checkbox"
          checked={isOn}
          disabled={!settings.data || choice !== null}
          onChange={(e) => {
            setChoice(e.target.checked);
            setEnabled.mutate({ enabled: e.target.checked }, { onSettled: () => setChoice(null) });
          }}
        />{" "}
        {t("receipts")}
      </label>
      <p className="muted">{t("hint")}</p>
      {setEnabled.error ? <p role="alert">{errorText(setEnabled.error)}</p> : null}
    </section>
  );
}

"use client";

/**
 * Settings → Sidebar: "Show unreads at the top" (users.preferences / users.updatePreferences). Saved
 * on the server, so every device of the user sorts the same way; the sidebar follows at once.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useState } from "react";
import { useErrorText } from "~/i18n/server-errors";
import { useSidebarPreferences } from "~/lib/use-sidebar-order";
import { useTRPC } from "~/trpc/react";

export function SidebarSettings() {
  const t = useTranslations("SidebarSettings");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const prefs = useSidebarPreferences();
  // The choice being saved, shown from the click on (a controlled checkbox would spring back until
  // the mutation's state arrives a render later).
  const [choice, setChoice] = useState<boolean | null>(null);
  const update = useMutation(
    trpc.users.updatePreferences.mutationOptions({
      onSuccess: (saved) => queryClient.setQueryData(trpc.users.preferences.queryKey(), saved),
    }),
  );
  const isOn = choice ?? prefs.data?.sidebarUnreadsFirst ?? false;
  return (
    <section className="card" aria-labelledby="sidebar-heading">
      <h2 id="sidebar-heading">{t("heading")}</h2>
      <label>
        <input
          type="checkbox"
          checked={isOn}
          aria-describedby="sidebar-unreads-hint"
          disabled={!prefs.data || choice !== null}
          onChange={(e) => {
            setChoice(e.target.checked);
            update.mutate({ sidebarUnreadsFirst: e.target.checked }, { onSettled: () => setChoice(null) });
          }}
        />{" "}
        {t("unreadsFirst")}
      </label>
      <p className="muted" id="sidebar-unreads-hint">
        {t("hint")}
      </p>
      {update.error ? <p role="alert">{errorText(update.error)}</p> : null}
    </section>
  );
}

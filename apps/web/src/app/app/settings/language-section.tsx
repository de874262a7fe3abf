"use client";

/**
 * Settings → Language: the UI language, kept on the server (users.updatePreferences `locale`) so
 * every device of the user shows it; "Automatic" follows the browser (Accept-Language). Saved with
 * a button, not on change, because applying it reloads the page (the server renders the language:
 * i18n/request.ts) and a select that navigated by itself would surprise keyboard and screen-reader
 * users (WCAG 3.2.2).
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { FormEvent } from "react";
import { FormError } from "~/components/field";
import { LOCALE_NAMES, LOCALES, negotiateLocale } from "~/i18n/config";
import { useErrorText } from "~/i18n/server-errors";
import { useTRPC } from "~/trpc/react";

export function LanguageSettings() {
  const t = useTranslations("LanguageSettings");
  const errorText = useErrorText();
  const trpc = useTRPC();
  const prefs = useQuery(trpc.users.preferences.queryOptions());
  const update = useMutation(
    trpc.users.updatePreferences.mutationOptions({ onSuccess: () => window.location.reload() }),
  );
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const value = String(new FormData(e.currentTarget).get("locale") ?? "");
    update.mutate({ locale: LOCALES.find((l) => l === value) ?? null });
  }
  return (
    <section className="card" aria-labelledby="language-heading">
      <h2 id="language-heading">{t("heading")}</h2>
      {prefs.data ? (
        <form onSubmit={onSubmit} className="row">
          <label htmlFor="language-select">{t("label")}</label>
          <select id="language-select" name="locale" defaultValue={prefs.data.locale ?? ""}>
            <option value="">
              {t("automatic", { language: LOCALE_NAMES[negotiateLocale(navigator.languages.join(","))] })}
            </option>
            {LOCALES.map((locale) => (
              <option key={locale} value={locale} lang={locale}>
                {LOCALE_NAMES[locale]}
              </option>
            ))}
          </select>
          <button type="submit" className="primary" disabled={update.isPending}>
            {t("save")}
          </button>
        </form>
      ) : (
        <p className="muted">{errorText(prefs.error, t("loading"))}</p>
      )}
      <p className="muted">{t("hint")}</p>
      <FormError error={update.error} />
    </section>
  );
}

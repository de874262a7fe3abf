import Link from "next/link";
import { useTranslations } from "next-intl";

/** Settings (admins): the way to the Health page. */
export function HealthAdmin() {
  const t = useTranslations("HealthLink");
  return (
    <section className="card" aria-labelledby="health-link-heading">
      <h2 id="health-link-heading">{t("heading")}</h2>
      <p className="muted">{t("intro")}</p>
      <p>
        <Link href="/app/settings/health">{t("open")}</Link>
      </p>
    </section>
  );
}

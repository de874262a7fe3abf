import Link from "next/link";
import { getTranslations } from "next-intl/server";

export default async function AppHome() {
  const t = await getTranslations("Home");
  return (
    <div className="page">
      <h1>{t("welcome")}</h1>
      <p className="muted">{t("pick")}</p>
      <ul>
        <li>{t.rich("browse", { link: (chunks) => <Link href="/app/browse">{chunks}</Link> })}</li>
        <li>
          <Link href="/app/new-channel">{t("create")}</Link>
        </li>
        <li>
          <Link href="/app/new-message">{t("dm")}</Link>
        </li>
        <li>{t.rich("invite", { link: (chunks) => <Link href="/app/settings">{chunks}</Link> })}</li>
      </ul>
    </div>
  );
}

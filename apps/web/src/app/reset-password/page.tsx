import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { ResetPasswordForm } from "./reset-password-form";

export const dynamic = "force-dynamic";
/** The tab's title in the reader's language. */
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("Titles"))("resetPassword") };
}

type Props = { searchParams: Promise<{ token?: string | string[] }> };

/** Where an admin's reset link lands: a new password for the account the link was made for. */
export default async function ResetPasswordPage({ searchParams }: Props) {
  const raw = (await searchParams).token;
  const token = Array.isArray(raw) ? raw[0] : raw;
  const t = await getTranslations("ResetPassword");
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand">Parley</div>
        <h1>{t("heading")}</h1>
        {token ? <ResetPasswordForm token={token} /> : <p role="alert">{t("incomplete")}</p>}
        <p className="muted">
          <a href="/sign-in">{t("signIn")}</a>
        </p>
      </div>
    </main>
  );
}

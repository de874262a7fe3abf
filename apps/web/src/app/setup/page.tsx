import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { serverCaller } from "~/server/caller";
import { SetupForm } from "./setup-form";

export const dynamic = "force-dynamic";
/** The tab's title in the reader's language. */
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("Titles"))("setup") };
}

export default async function SetupPage() {
  const status = await (await serverCaller()).workspace.status();
  if (status.isSetUp) redirect("/sign-in");
  const t = await getTranslations("Setup");
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand">Parley</div>
        <h1>{t("heading")}</h1>
        <p className="muted">{t("intro")}</p>
        <SetupForm />
      </div>
    </main>
  );
}

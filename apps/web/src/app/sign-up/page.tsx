import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getLocale, getTranslations } from "next-intl/server";
import { catalogText } from "~/i18n/error-catalogs";
import { serverCaller } from "~/server/caller";
import { SignUpForm } from "./sign-up-form";

export const dynamic = "force-dynamic";
/** The tab's title in the reader's language. */
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("Titles"))("signUp") };
}

type Props = { searchParams: Promise<{ invite?: string | string[] }> };

/**
 * Sign-up: the form when the workspace's mode or the invite lets the visitor in, and otherwise
 * why not (invite needed, domain not allowed, invite expired / used up / revoked). The server
 * decides again on submit (auth.signUp); this only tells the visitor before they type.
 */
export default async function SignUpPage({ searchParams }: Props) {
  const caller = await serverCaller();
  const status = await caller.workspace.status();
  if (!status.isSetUp) redirect("/setup");
  const raw = (await searchParams).invite;
  const invite = Array.isArray(raw) ? raw[0] : raw;
  const check = invite
    ? await caller.invites
        .check({ token: invite })
        .catch(() => ({ state: "unknown", email: null, refusal: null }))
    : null;
  const isInvited = check?.state === "valid";
  const domains = status.signupDomains.join(", ");
  // Without a usable invite, the mode decides whether anyone (or some domains) may still sign up.
  const canSignUp = isInvited || status.signupMode !== "invite_only";
  const t = await getTranslations("SignUp");
  // The server's refusal is an English template (core's INVITE_REFUSALS): shown in the reader's language.
  const refusal = check?.refusal ? await catalogText(await getLocale(), check.refusal, check.refusal) : null;
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand">Parley</div>
        <h1>{t("heading", { name: status.name ?? "" })}</h1>
        {check && !isInvited ? <p role="alert">{refusal ?? t("invalidInvite")}</p> : null}
        {isInvited && check.email ? <p className="muted">{t("inviteFor", { email: check.email })}</p> : null}
        {!isInvited && status.signupMode === "domains" ? (
          <p className="muted">{t("domains", { domains })}</p>
        ) : null}
        {canSignUp ? (
          <SignUpForm inviteToken={isInvited ? invite : undefined} />
        ) : check ? null : (
          <p role="alert">{t("inviteOnly")}</p>
        )}
        <p className="muted">
          {t.rich("haveAccount", { link: (chunks) => <a href="/sign-in">{chunks}</a> })}
        </p>
      </div>
    </main>
  );
}

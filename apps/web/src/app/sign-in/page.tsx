import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { env } from "~/env";
import { serverCaller } from "~/server/caller";
import { signedInUser } from "~/server/session";
import { SignInForm } from "./sign-in-form";
import { SsoButton } from "./sso-button";

export const dynamic = "force-dynamic";
/** The tab's title in the reader's language. */
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("Titles"))("signIn") };
}

/**
 * What a refused or failed sign-in (next-auth's `?error=`, or core's SSO refusal) tells the person:
 * the codes with a message of their own (SignIn.errors.*); the rest (next-auth's
 * OAuthSignin, OAuthCallback, Callback, AccessDenied…: the provider round trip failed) get `failed`.
 */
const ERROR_CODES = new Set([
  "sso_domain_not_allowed",
  "sso_email_not_verified",
  "sso_not_in_group",
  "sso_deactivated",
  "sso_linked_elsewhere",
  "sso_invalid_profile",
  "sso_not_set_up",
  "TooManyAttempts",
  "CredentialsSignin",
]);

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ error?: string }> }) {
  const status = await (await serverCaller()).workspace.status();
  if (!status.isSetUp) redirect("/setup");
  if (await signedInUser()) redirect("/app");
  const settings = env();
  const sso = settings.OIDC_ISSUER ? settings.OIDC_NAME : null;
  // SSO-only hides the password form (the server refuses it anyway) unless the owner's break-glass
  // setting is on; without a provider configured there is nothing else to show, so it stays.
  const showPassword = !status.ssoOnly || !sso || settings.PASSWORD_BREAK_GLASS_OWNER;
  const { error } = await searchParams;
  const t = await getTranslations("SignIn");
  const provider = sso ?? t("sso");
  const code = error?.slice(0, 64);
  const message =
    code === undefined ? null : t(`errors.${ERROR_CODES.has(code) ? code : "failed"}`, { provider });
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand">Parley</div>
        <h1>{t("heading", { name: status.name ?? "" })}</h1>
        {message ? (
          <p className="error" role="alert">
            {message}
          </p>
        ) : null}
        {sso ? <SsoButton name={sso} /> : null}
        {sso && showPassword ? <p className="muted auth-divider">{t("orPassword")}</p> : null}
        {showPassword ? <SignInForm /> : null}
        {status.ssoOnly && sso && showPassword ? <p className="muted">{t("breakGlass")}</p> : null}
        {status.signupMode !== "invite_only" && !status.ssoOnly ? (
          <p className="muted">{t.rich("newHere", { link: (chunks) => <a href="/sign-up">{chunks}</a> })}</p>
        ) : null}
      </div>
    </main>
  );
}

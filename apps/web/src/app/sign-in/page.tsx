import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { env } from "~/env";
import { serverCaller } from "~/server/caller";
import { signedInUser } from "~/server/session";
import { SignInForm } from "./sign-in-form";
import { SsoButton } from "./sso-button";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in · Parley" };

/** What a refused or failed sign-in (next-auth's `?error=`, or core's SSO refusal) tells the person. */
function errorText(code: string | undefined, provider: string): string | null {
  switch (code) {
    case undefined:
      return null;
    case "sso_domain_not_allowed":
      return `Your ${provider} account's e-mail address may not join this workspace. Ask an admin of this workspace for access.`;
    case "sso_email_not_verified":
      return `${provider} did not confirm that your e-mail address is verified, so Parley cannot match it to an account.`;
    case "sso_not_in_group":
      return `Your ${provider} account is not in the group allowed to use this workspace. Ask an admin for access.`;
    case "sso_deactivated":
      return "This account has been deactivated. Ask an admin of this workspace if you think this is a mistake.";
    case "sso_linked_elsewhere":
      return `This Parley account is already linked to a different ${provider} account.`;
    case "sso_invalid_profile":
      return `${provider} did not send an e-mail address for your account.`;
    case "sso_not_set_up":
      return "This workspace is not set up yet.";
    case "TooManyAttempts":
      return "Too many attempts. Wait a while and try again.";
    case "CredentialsSignin":
      return "Wrong email or password.";
    default:
      // next-auth's OAuthSignin / OAuthCallback / Callback / AccessDenied …: the provider round trip failed.
      return `Sign-in with ${provider} did not complete. Try again.`;
  }
}

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
  const message = errorText(error?.slice(0, 64), sso ?? "single sign-on");
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand">Parley</div>
        <h1>Sign in to {status.name}</h1>
        {message ? (
          <p className="error" role="alert">
            {message}
          </p>
        ) : null}
        {sso ? <SsoButton name={sso} /> : null}
        {sso && showPassword ? <p className="muted auth-divider">or with your password</p> : null}
        {showPassword ? <SignInForm /> : null}
        {status.ssoOnly && sso && showPassword ? (
          <p className="muted">Password sign-in is for the workspace owner only (break-glass).</p>
        ) : null}
        {status.signupMode !== "invite_only" && !status.ssoOnly ? (
          <p className="muted">
            New here? <a href="/sign-up">Create an account</a>
          </p>
        ) : null}
      </div>
    </main>
  );
}

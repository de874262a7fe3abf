import type { Metadata } from "next";
import { ResetPasswordForm } from "./reset-password-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Set a new password · Parley" };

type Props = { searchParams: Promise<{ token?: string | string[] }> };

/** Where an admin's reset link lands: a new password for the account the link was made for. */
export default async function ResetPasswordPage({ searchParams }: Props) {
  const raw = (await searchParams).token;
  const token = Array.isArray(raw) ? raw[0] : raw;
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand">Parley</div>
        <h1>Set a new password</h1>
        {token ? (
          <ResetPasswordForm token={token} />
        ) : (
          <p role="alert">This link is incomplete. Ask an admin of this workspace for a new one.</p>
        )}
        <p className="muted">
          <a href="/sign-in">Sign in</a>
        </p>
      </div>
    </main>
  );
}

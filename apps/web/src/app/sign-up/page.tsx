import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { serverCaller } from "~/server/caller";
import { SignUpForm } from "./sign-up-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign up · Parley" };

type Props = { searchParams: Promise<{ invite?: string | string[] }> };

export default async function SignUpPage({ searchParams }: Props) {
  const status = await (await serverCaller()).workspace.status();
  if (!status.isSetUp) redirect("/setup");
  const raw = (await searchParams).invite;
  const invite = Array.isArray(raw) ? raw[0] : raw;
  const canSignUp = Boolean(invite) || status.allowOpenSignup;
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand">Parley</div>
        <h1>Join {status.name}</h1>
        {canSignUp ? (
          <SignUpForm inviteToken={invite} />
        ) : (
          <p role="alert">
            Sign-up is by invitation only. Ask an admin of this workspace for an invite link.
          </p>
        )}
        <p className="muted">
          Already have an account? <a href="/sign-in">Sign in</a>
        </p>
      </div>
    </main>
  );
}

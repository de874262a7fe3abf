import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { serverCaller } from "~/server/caller";
import { signedInUser } from "~/server/session";
import { SignInForm } from "./sign-in-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in · Parley" };

export default async function SignInPage() {
  const status = await (await serverCaller()).workspace.status();
  if (!status.isSetUp) redirect("/setup");
  if (await signedInUser()) redirect("/app");
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand">Parley</div>
        <h1>Sign in to {status.name}</h1>
        <SignInForm />
        {status.signupMode !== "invite_only" ? (
          <p className="muted">
            New here? <a href="/sign-up">Create an account</a>
          </p>
        ) : null}
      </div>
    </main>
  );
}

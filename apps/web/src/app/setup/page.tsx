import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { serverCaller } from "~/server/caller";
import { SetupForm } from "./setup-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Set up Parley" };

export default async function SetupPage() {
  const status = await (await serverCaller()).workspace.status();
  if (status.isSetUp) redirect("/sign-in");
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand">Parley</div>
        <h1>Set up your workspace</h1>
        <p className="muted">Name the workspace and create the owner account. You can invite people next.</p>
        <SetupForm />
      </div>
    </main>
  );
}

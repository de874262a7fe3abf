import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { Sidebar } from "~/components/sidebar";
import { signedInUser } from "~/server/session";

export const dynamic = "force-dynamic";

/** The signed-in shell: sidebar + the selected page. Anonymous visitors go to /sign-in. */
export default async function AppLayout({ children }: { children: ReactNode }) {
  const me = await signedInUser();
  if (!me) redirect("/sign-in");
  return (
    <div className="shell">
      <Sidebar />
      <main className="main" id="main">
        {children}
      </main>
    </div>
  );
}

import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppShell } from "~/components/app-shell";
import { ConnectionBanner } from "~/components/connection-banner";
import { LaterNotices } from "~/components/later-notices";
import { RealtimeProvider } from "~/lib/realtime-provider";
import { signedInUser } from "~/server/session";
import "~/styles/chrome.css";

export const dynamic = "force-dynamic";

/** The signed-in shell: live data provider, sidebar + the selected page. Anonymous visitors go to /sign-in. */
export default async function AppLayout({ children }: { children: ReactNode }) {
  const me = await signedInUser();
  if (!me) redirect("/sign-in");
  return (
    <RealtimeProvider userId={me.id}>
      <AppShell>
        <ConnectionBanner />
        {children}
        <LaterNotices />
      </AppShell>
    </RealtimeProvider>
  );
}

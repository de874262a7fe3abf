import type { Metadata } from "next";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "~/trpc/react";
import "./globals.css";
import "~/styles/a11y.css";

export const metadata: Metadata = { title: "Parley", description: "Self-hosted team chat" };

// Every page renders per request: Next puts the response's CSP nonce (src/proxy.ts) on its scripts
// while rendering, and HTML prerendered at build time would carry none (its scripts would be blocked).
export const dynamic = "force-dynamic";

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}

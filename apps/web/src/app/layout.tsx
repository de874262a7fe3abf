import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { ServiceWorkerRegistrar } from "~/components/service-worker-registrar";
import { TRPCReactProvider } from "~/trpc/react";
import { THEME_DARK, THEME_LIGHT } from "./manifest";
import "./globals.css";
import "~/styles/a11y.css";

export const metadata: Metadata = {
  title: "Parley",
  description: "Self-hosted team chat",
  icons: { apple: "/icons/icon-192.png" },
};

/** The browser's title bar (and an installed app's window) in the OS theme's background. */
export const viewport: Viewport = {
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: THEME_LIGHT },
    { media: "(prefers-color-scheme: dark)", color: THEME_DARK },
  ],
};

// Every page renders per request: Next puts the response's CSP nonce (src/proxy.ts) on its scripts
// while rendering, and HTML prerendered at build time would carry none (its scripts would be blocked).
export const dynamic = "force-dynamic";

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <TRPCReactProvider>{children}</TRPCReactProvider>
        <ServiceWorkerRegistrar />
      </body>
    </html>
  );
}

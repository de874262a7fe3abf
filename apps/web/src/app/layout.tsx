import type { Metadata, Viewport } from "next";
import { NextIntlClientProvider } from "next-intl";
import { getLocale, getTranslations } from "next-intl/server";
import type { ReactNode } from "react";
import { ServiceWorkerRegistrar } from "~/components/service-worker-registrar";
import { directionOf } from "~/i18n/config";
import { TRPCReactProvider } from "~/trpc/react";
import { THEME_DARK, THEME_LIGHT } from "./manifest";
import "./globals.css";
import "~/styles/a11y.css";

/** The default title and description, in the reader's language. */
export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("Titles");
  return { title: "Parley", description: t("description"), icons: { apple: "/icons/icon-192.png" } };
}

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

/**
 * The user's language (i18n/request.ts) on `<html lang dir>`; NextIntlClientProvider passes its
 * messages, locale and time zone on to every client component.
 */
export default async function RootLayout({ children }: { children: ReactNode }) {
  const locale = await getLocale();
  return (
    <html lang={locale} dir={directionOf(locale)}>
      <body>
        <NextIntlClientProvider>
          <TRPCReactProvider>{children}</TRPCReactProvider>
          <ServiceWorkerRegistrar />
        </NextIntlClientProvider>
      </body>
    </html>
  );
}

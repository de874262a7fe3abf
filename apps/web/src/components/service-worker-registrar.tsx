"use client";

/**
 * Registers the service worker after the page has loaded (a bundled script, so it runs under the
 * CSP nonce like all of Next's), saves each /app route for offline use once the reader has stayed
 * on it, and wipes the offline copies on the sign-in page (whoever signs in next starts clean).
 */
import { usePathname } from "next/navigation";
import { useEffect } from "react";
import { clearOfflineData } from "~/lib/offline-cache";
import { hasServiceWorker, registerServiceWorker, saveThisPageLater } from "~/lib/service-worker";

export function ServiceWorkerRegistrar() {
  const pathname = usePathname();

  useEffect(() => {
    if (!hasServiceWorker()) return;
    const register = () => void registerServiceWorker().catch(() => undefined);
    if (document.readyState === "complete") {
      register();
      return;
    }
    window.addEventListener("load", register, { once: true });
    return () => window.removeEventListener("load", register);
  }, []);

  useEffect(() => {
    if (pathname.startsWith("/app")) return saveThisPageLater();
    if (pathname.startsWith("/sign-in")) void clearOfflineData();
    return undefined;
  }, [pathname]);

  return null;
}

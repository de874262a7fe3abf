"use client";

import { signIn } from "next-auth/react";
import { useTranslations } from "next-intl";
import { useState } from "react";

/**
 * "Sign in with <provider>": next-auth's OIDC sign-in (a CSRF-checked POST, then the provider's
 * page). A link, so it is never confused with the password form's submit button; before
 * hydration it leads to next-auth's own provider page, which comes back here.
 */
export function SsoButton({ name }: { name: string }) {
  const t = useTranslations("SignIn");
  const [busy, setBusy] = useState(false);
  return (
    <a
      className="button primary sso-button"
      href="/api/auth/signin/oidc"
      aria-disabled={busy || undefined}
      onClick={(e) => {
        e.preventDefault();
        if (busy) return;
        setBusy(true);
        void signIn("oidc", { callbackUrl: "/app" }).catch(() => setBusy(false));
      }}
    >
      {busy ? t("redirecting") : t("withProvider", { provider: name })}
    </a>
  );
}

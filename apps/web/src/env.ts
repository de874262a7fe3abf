/**
 * The web app's settings, read once through @parley/config (the only place that reads
 * process.env). Call `env()` at request time, never at module load, so `next build` works
 * without runtime secrets.
 */
import { loadEnv, type TEnv } from "@parley/config";

let exported = false;

/** The validated settings; on first use also hands next-auth the variables it reads itself. */
export function env(): TEnv {
  const settings = loadEnv();
  if (!exported) {
    // next-auth v4 reads its origin and secret from process.env in a few places (getToken,
    // redirects); feed them from our validated settings so there is one source of truth.
    process.env.NEXTAUTH_URL = settings.PUBLIC_URL;
    process.env.NEXTAUTH_SECRET = settings.AUTH_SECRET;
    exported = true;
  }
  return settings;
}

/** True when the app is served over https (decides the `__Secure-` session cookie name). */
export function isSecureOrigin(): boolean {
  return env().PUBLIC_URL.startsWith("https://");
}

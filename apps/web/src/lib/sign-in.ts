import { getCsrfToken } from "next-auth/react";

/**
 * Signs in with email + password (next-auth's credentials callback, as its `signIn` does, but
 * reading the status: a 429 says how long the account or address is locked); resolves to an
 * error message or null on success.
 */
export async function signInWithPassword(email: string, password: string): Promise<string | null> {
  let res: Response;
  try {
    res = await fetch("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        email,
        password,
        csrfToken: (await getCsrfToken()) ?? "",
        callbackUrl: window.location.href,
        json: "true",
      }),
    });
  } catch {
    return "Cannot reach the server. Check your connection and try again.";
  }
  if (res.status === 429) return tooManyAttempts(Number(res.headers.get("Retry-After")));
  const data = (await res.json().catch(() => null)) as { url?: string } | null;
  const error = data?.url ? new URL(data.url, window.location.href).searchParams.get("error") : "unknown";
  if (!res.ok || error) return "Wrong email or password.";
  return null;
}

/** "Too many attempts, try again in N minutes." for a Retry-After in seconds. */
export function tooManyAttempts(retryAfterSeconds: number): string {
  const seconds =
    Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? Math.ceil(retryAfterSeconds) : 60;
  const wait =
    seconds < 60
      ? `${seconds} second${seconds === 1 ? "" : "s"}`
      : `${Math.ceil(seconds / 60)} minute${Math.ceil(seconds / 60) === 1 ? "" : "s"}`;
  return `Too many attempts, try again in ${wait}.`;
}

/**
 * The message of any thrown value, for display. A tRPC input error shows its field messages
 * (e.g. zxcvbn's reason a password was refused), not the raw list of issues.
 */
export function errorMessage(err: unknown): string {
  const zod = (
    err as {
      data?: {
        zodError?: { formErrors?: string[]; fieldErrors?: Record<string, string[] | undefined> } | null;
      };
    }
  )?.data?.zodError;
  if (zod) {
    const fields = Object.entries(zod.fieldErrors ?? {}).flatMap(
      ([, messages]) => messages?.slice(0, 1) ?? [],
    );
    const all = [...(zod.formErrors ?? []), ...fields];
    if (all.length > 0) return all.join(" ");
  }
  return err instanceof Error ? err.message : "Something went wrong.";
}

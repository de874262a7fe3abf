import { getCsrfToken } from "next-auth/react";
import { useTranslations } from "next-intl";

/** Why a password sign-in failed; `useSignInFailureText` words it in the user's language. */
export type TSignInFailure =
  | { kind: "offline" }
  | { kind: "wrong" }
  | { kind: "locked"; unit: "second" | "minute"; count: number };

/**
 * Signs in with email + password (next-auth's credentials callback, as its `signIn` does, but
 * reading the status: a 429 says how long the account or address is locked); resolves to why it
 * failed, or null on success.
 */
export async function signInWithPassword(email: string, password: string): Promise<TSignInFailure | null> {
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
    return { kind: "offline" };
  }
  if (res.status === 429) return lockedFor(Number(res.headers.get("Retry-After")));
  const data = (await res.json().catch(() => null)) as { url?: string } | null;
  const error = data?.url ? new URL(data.url, window.location.href).searchParams.get("error") : "unknown";
  if (!res.ok || error) return { kind: "wrong" };
  return null;
}

/** The lock of a Retry-After in seconds: whole seconds under a minute, else whole minutes. */
export function lockedFor(retryAfterSeconds: number): TSignInFailure {
  const seconds =
    Number.isFinite(retryAfterSeconds) && retryAfterSeconds > 0 ? Math.ceil(retryAfterSeconds) : 60;
  return seconds < 60
    ? { kind: "locked", unit: "second", count: seconds }
    : { kind: "locked", unit: "minute", count: Math.ceil(seconds / 60) };
}

/** "Too many attempts, try again in 15 minutes." and the rest, in the user's language. */
export function useSignInFailureText(): (failure: TSignInFailure) => string {
  const t = useTranslations("SignIn");
  return (failure) =>
    failure.kind === "locked"
      ? t(failure.unit === "second" ? "lockedSeconds" : "lockedMinutes", { count: failure.count })
      : t(failure.kind === "offline" ? "offline" : "wrong");
}

/**
 * The message of any thrown value, for display. A tRPC input error shows its field messages
 * (e.g. zxcvbn's reason a password was refused), not the raw list of issues.
 */
export function errorMessage(err: unknown, errorText: (err: unknown, fallback: string) => string): string {
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
  return errorText(err, "Something went wrong.");
}

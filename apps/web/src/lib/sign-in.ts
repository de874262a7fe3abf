import { signIn } from "next-auth/react";

/** Signs in with email + password; resolves to an error message or null on success. */
export async function signInWithPassword(email: string, password: string): Promise<string | null> {
  const res = await signIn("credentials", { email, password, redirect: false });
  if (!res || res.error || !res.ok) return "Wrong email or password.";
  return null;
}

/** The message of any thrown value, for display. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : "Something went wrong.";
}

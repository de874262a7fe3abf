/**
 * next-intl's per-request configuration (no locale in the URL): the signed-in user's language and
 * time zone (Settings → Language, Settings → Profile), else the browser's Accept-Language and UTC.
 * The root layout puts the locale on `<html lang dir>` and hands all of it to the client through
 * NextIntlClientProvider, so client components format dates in the user's zone, not the browser's.
 */
import { TRPCError } from "@trpc/server";
import { headers } from "next/headers";
import { getRequestConfig } from "next-intl/server";
import { serverCaller } from "~/server/caller";
import { isLocale, negotiateLocale, type TLocale } from "./config";

/** The signed-in user's locale preference and time zone, or null when nobody is signed in. */
async function userSettings(): Promise<{ locale: string | null; timeZone: string } | null> {
  try {
    const caller = await serverCaller();
    const [prefs, profile] = await Promise.all([caller.users.preferences(), caller.profile.get({})]);
    return { locale: prefs.locale, timeZone: profile.timeZone };
  } catch (err) {
    if (err instanceof TRPCError && (err.code === "UNAUTHORIZED" || err.code === "FORBIDDEN")) return null;
    throw err;
  }
}

const loaders: Record<TLocale, () => Promise<{ default: Record<string, unknown> }>> = {
  en: () => import("./messages/en.json"),
  ar: () => import("./messages/ar.json"),
};

export default getRequestConfig(async () => {
  const user = await userSettings();
  const locale: TLocale = isLocale(user?.locale)
    ? user.locale
    : negotiateLocale((await headers()).get("accept-language"));
  return {
    locale,
    timeZone: user?.timeZone ?? "UTC",
    messages: (await loaders[locale]()).default,
  };
});

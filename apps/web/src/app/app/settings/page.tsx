import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { SettingsView } from "./settings-view";

/** The tab's title in the reader's language. */
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("Titles"))("settings") };
}

export default function SettingsPage() {
  return <SettingsView />;
}

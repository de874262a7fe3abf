import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { SavedView } from "~/components/saved-view";

/** The tab's title in the reader's language. */
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("Titles"))("saved") };
}

type Props = { searchParams: Promise<{ tab?: string | string[] }> };

/** Saved messages and reminders (components/saved-view.tsx); `?tab=reminders` opens the second tab. */
export default async function SavedPage({ searchParams }: Props) {
  const { tab } = await searchParams;
  return <SavedView initialTab={tab === "reminders" ? "reminders" : "saved"} />;
}

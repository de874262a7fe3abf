import type { Metadata } from "next";
import { SavedView } from "~/components/saved-view";

export const metadata: Metadata = { title: "Saved · Parley" };

type Props = { searchParams: Promise<{ tab?: string | string[] }> };

/** Saved messages and reminders (components/saved-view.tsx); `?tab=reminders` opens the second tab. */
export default async function SavedPage({ searchParams }: Props) {
  const { tab } = await searchParams;
  return <SavedView initialTab={tab === "reminders" ? "reminders" : "saved"} />;
}

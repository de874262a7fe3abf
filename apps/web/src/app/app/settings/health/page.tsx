import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { HealthView } from "./health-view";

/** The tab's title in the reader's language. */
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("Titles"))("health") };
}

/** Admins: how the server is doing right now (the procedure behind it refuses everyone else). */
export default function HealthPage() {
  return <HealthView />;
}

import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { AuditLogView } from "./audit-log-view";

/** The tab's title in the reader's language. */
export async function generateMetadata(): Promise<Metadata> {
  return { title: (await getTranslations("Titles"))("auditLog") };
}

/** Admins: the audit log (the procedures behind it refuse everyone else). */
export default function AuditLogPage() {
  return <AuditLogView />;
}

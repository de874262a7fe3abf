import type { Metadata } from "next";
import { AuditLogView } from "./audit-log-view";

export const metadata: Metadata = { title: "Audit log · Parley" };

/** Admins: the audit log (the procedures behind it refuse everyone else). */
export default function AuditLogPage() {
  return <AuditLogView />;
}

import type { Metadata } from "next";
import { HealthView } from "./health-view";

export const metadata: Metadata = { title: "Health · Parley" };

/** Admins: how the server is doing right now (the procedure behind it refuses everyone else). */
export default function HealthPage() {
  return <HealthView />;
}

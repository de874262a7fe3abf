import { redirect } from "next/navigation";
import { serverCaller } from "~/server/caller";
import { signedInUser } from "~/server/session";

export const dynamic = "force-dynamic";

/** Entry point: first-run setup, the sign-in page, or the app. */
export default async function Home() {
  const status = await (await serverCaller()).workspace.status();
  if (!status.isSetUp) redirect("/setup");
  redirect((await signedInUser()) ? "/app" : "/sign-in");
}

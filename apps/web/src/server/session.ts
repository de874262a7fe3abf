import { TRPCError } from "@trpc/server";
import { serverCaller } from "~/server/caller";

/** The signed-in user of this request, or null (no cookie, revoked session, deactivated user). */
export async function signedInUser() {
  try {
    return await (await serverCaller()).users.me();
  } catch (err) {
    if (err instanceof TRPCError && (err.code === "UNAUTHORIZED" || err.code === "FORBIDDEN")) return null;
    throw err;
  }
}

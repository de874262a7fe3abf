/**
 * The workspace's "SSO only" switch (admins): while on, password sign-in (`verifyCredentials`) and
 * password sign-up (`signUp`, invites included) are refused on the server, and the sign-in page
 * shows only the provider's button. The owner keeps a break-glass path: with the
 * PASSWORD_BREAK_GLASS_OWNER setting (someone with access to the server sets it), the owner — and
 * only the owner — may sign in with their password.
 */
import type { TDb } from "@parley/db";
import { z } from "zod";
import { requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { ParleyError, parseInput } from "../errors.ts";
import { inWriteTx } from "../tx.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";

/** Input of setSsoOnly. */
export const ZSetSsoOnly = z.object({ ssoOnly: z.boolean() });

/** What Settings shows about single sign-on. */
export type TSsoSettings = { ssoOnly: boolean; isConfigured: boolean };

/** Whether password sign-in and sign-up are off (no workspace yet: off). */
export async function isSsoOnly(db: Pick<TDb, "workspace">): Promise<boolean> {
  const ws = await db.workspace.findUnique({ where: { id: WORKSPACE_ID }, select: { ssoOnly: true } });
  return ws?.ssoOnly ?? false;
}

/** The SSO settings (admins); `isConfigured` is whether OIDC_ISSUER is set, from the caller. */
export async function getSsoSettings(db: TDb, actor: TActor, isConfigured: boolean): Promise<TSsoSettings> {
  requireAdmin(actor);
  return { ssoOnly: await isSsoOnly(db), isConfigured };
}

/**
 * Turns SSO-only on or off (admins), audited as `workspace.sso_only_changed` in the same
 * transaction; a save that changes nothing records nothing. Turning it on needs SSO configured
 * (OIDC_ISSUER), or nobody but a break-glass owner could sign in.
 */
export async function setSsoOnly(
  db: TDb,
  actor: TActor,
  input: unknown,
  isConfigured: boolean,
  origin?: TAuditOrigin,
): Promise<TSsoSettings> {
  requireAdmin(actor);
  const { ssoOnly } = parseInput(ZSetSsoOnly, input);
  if (ssoOnly && !isConfigured) {
    throw new ParleyError(
      "BAD_REQUEST",
      "Single sign-on is not configured on this server (OIDC_ISSUER): SSO-only would lock everyone out",
    );
  }
  return inWriteTx(db, async ({ tx }) => {
    const [before] = await tx.$queryRaw<{ name: string; ssoOnly: boolean }[]>`
      SELECT name, "ssoOnly" FROM "Workspace" WHERE id = ${WORKSPACE_ID} FOR UPDATE`;
    if (!before) throw new ParleyError("NOT_FOUND", "The workspace is not set up");
    if (before.ssoOnly !== ssoOnly) {
      await tx.workspace.update({ where: { id: WORKSPACE_ID }, data: { ssoOnly } });
      await recordAudit(tx, {
        action: "workspace.sso_only_changed",
        actorId: actor.userId,
        target: { type: "workspace", id: String(WORKSPACE_ID), label: before.name },
        origin,
        details: { before: before.ssoOnly, after: ssoOnly },
      });
    }
    return { ssoOnly, isConfigured };
  });
}

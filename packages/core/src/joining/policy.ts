/**
 * Who may join the workspace without an invite: the sign-up mode (`open`, `invite_only`,
 * `domains`) and the allowed-domains list, both on the workspace row. An invite link is always a
 * way in (invites.ts); `signUp` (auth.ts) asks `admitsWithoutInvite` first.
 *
 * Domains match exactly and case-insensitively against the part after an address's last "@"
 * (addresses are lower-cased by ZEmail, domains by ZSignupDomain): `example.com` admits
 * `ann@example.com` and nothing else — not `evil-example.com`, `example.com.evil.org` or
 * `sub.example.com`.
 */
import type { TDb } from "@parley/db";
import { requireAdmin, type TActor } from "../actor.ts";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { errorTemplate, ParleyError, parseInput, type TErrorText } from "../errors.ts";
import { type TSignupMode, ZSetSignupPolicy } from "../schemas.ts";
import { inWriteTx } from "../tx.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";

/** The workspace's sign-up rules. */
export type TSignupPolicy = { mode: TSignupMode; domains: string[] };

/** The domain part of an (already lower-cased) e-mail address. */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1).toLowerCase();
}

/** Whether the policy lets `email` sign up without an invite. */
export function admitsWithoutInvite(policy: TSignupPolicy, email: string): boolean {
  if (policy.mode === "open") return true;
  if (policy.mode === "invite_only") return false;
  return policy.domains.includes(emailDomain(email));
}

/** The sentence a visitor refused for want of an invite reads, as a template. */
export function signupRefusal(policy: TSignupPolicy): TErrorText {
  if (policy.mode === "domains") {
    return {
      template: errorTemplate(
        "Without an invite, only addresses at {domains} can sign up. Use such an address or ask an admin of this workspace for an invite link.",
      ),
      params: { domains: policy.domains.join(", ") },
    };
  }
  return {
    template: errorTemplate(
      "Sign-up is by invitation only. Ask an admin of this workspace for an invite link.",
    ),
  };
}

/** The sign-up mode for the older `allowOpenSignup` flag: true opens; false closes only `open`. */
export function modeForOpenSignup(allowOpenSignup: boolean, current: TSignupMode): TSignupMode {
  if (allowOpenSignup) return "open";
  return current === "open" ? "invite_only" : current;
}

const policySelect = { signupMode: true, signupDomains: true } as const;

/** The sign-up policy (admins). */
export async function getSignupPolicy(db: TDb, actor: TActor): Promise<TSignupPolicy> {
  requireAdmin(actor);
  const ws = await db.workspace.findUnique({ where: { id: WORKSPACE_ID }, select: policySelect });
  if (!ws) throw new ParleyError("NOT_FOUND", "The workspace is not set up");
  return { mode: ws.signupMode, domains: ws.signupDomains };
}

/**
 * Sets the mode and, when given, replaces the allowed-domains list (admins). `domains` mode needs
 * at least one domain. Each change is its own audit entry (`workspace.signup_mode_changed`,
 * `workspace.signup_domains_changed`, before and after) in the same transaction; a save that
 * changes nothing records nothing.
 */
export async function setSignupPolicy(
  db: TDb,
  actor: TActor,
  input: unknown,
  origin?: TAuditOrigin,
): Promise<TSignupPolicy> {
  requireAdmin(actor);
  const data = parseInput(ZSetSignupPolicy, input);
  return inWriteTx(db, async ({ tx }) => {
    const [before] = await tx.$queryRaw<
      { name: string; signupMode: TSignupMode; signupDomains: string[] | null }[]
    >`SELECT name, "signupMode"::text AS "signupMode", "signupDomains"
      FROM "Workspace" WHERE id = ${WORKSPACE_ID} FOR UPDATE`;
    if (!before) throw new ParleyError("NOT_FOUND", "The workspace is not set up");
    const beforeDomains = before.signupDomains ?? [];
    const after: TSignupPolicy = { mode: data.mode, domains: data.domains ?? beforeDomains };
    if (after.mode === "domains" && after.domains.length === 0) {
      throw new ParleyError("BAD_REQUEST", "Add at least one allowed domain to use the allowed-domains mode");
    }
    await tx.workspace.update({
      where: { id: WORKSPACE_ID },
      data: { signupMode: after.mode, signupDomains: after.domains },
    });
    const target = { type: "workspace" as const, id: String(WORKSPACE_ID), label: before.name };
    if (after.mode !== before.signupMode) {
      await recordAudit(tx, {
        action: "workspace.signup_mode_changed",
        actorId: actor.userId,
        target,
        origin,
        details: { before: before.signupMode, after: after.mode },
      });
    }
    if (JSON.stringify(after.domains) !== JSON.stringify(beforeDomains)) {
      await recordAudit(tx, {
        action: "workspace.signup_domains_changed",
        actorId: actor.userId,
        target,
        origin,
        details: {
          before: beforeDomains,
          after: after.domains,
          added: after.domains.filter((d) => !beforeDomains.includes(d)),
          removed: beforeDomains.filter((d) => !after.domains.includes(d)),
        },
      });
    }
    return after;
  });
}

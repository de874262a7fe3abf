/**
 * Single sign-on (OpenID Connect): what happens after the provider has signed someone in. The web
 * app's next-auth OIDC provider does the protocol (discovery, PKCE, state, ID token checks) and
 * hands `ssoSignIn` the verified claims; this decides who that is in Parley and opens the same
 * `AuthSession` a password sign-in opens, so everything after (JWT `sid`, gateway tickets,
 * revocation) is unchanged.
 *
 * Who they are, in order:
 * 1. a linked identity (`SsoIdentity`, issuer + subject — never the e-mail, which providers let
 *    people change) → that user;
 * 2. an account with the same e-mail → linked, but ONLY when the provider says the address is
 *    verified (else anyone who can put that address on an unverified provider account would take
 *    the Parley account over), and only when that account has no other identity at this issuer;
 * 3. nobody → a new member account (just-in-time), when the address is verified and its domain is
 *    admitted: `allowedDomains` (OIDC_ALLOWED_DOMAINS) when set, else the workspace's joining rules
 *    (open: anyone; allowed domains: those; invite only: nobody new).
 * Refused at any step: a deactivated user, and anyone outside `requiredGroup` when it is set. With
 * `adminGroup` set, each sign-in makes a member (or guest) in that group an admin and an admin
 * outside it a member; the owner's role never changes and nobody becomes owner this way.
 *
 * Every outcome is audit-logged like a password sign-in (`auth.sign_in` / `auth.sign_in_failed`
 * with `details.method = "sso"`), plus `auth.sso_linked`, `auth.signed_up` and `user.role_changed`.
 * A refusal writes nothing but its audit entry (the transaction rolls back).
 */
import { randomBytes } from "node:crypto";
import { isUniqueViolation, type TDb, type UserRole } from "@parley/db";
import { UserEventKind } from "@parley/protocol";
import { z } from "zod";
import { recordAudit, type TAuditOrigin } from "../audit/record.ts";
import { SESSION_TTL_MS } from "../auth.ts";
import { joinDefaultChannels } from "../conversations/members.ts";
import { admitsWithoutInvite, emailDomain } from "../joining/policy.ts";
import { hashPassword } from "../passwords.ts";
import { ZEmail, ZPersonName } from "../schemas.ts";
import { appendUserEvent, inWriteTx, type TWriter } from "../tx.ts";
import { type TUserDto, userDtoSelect } from "../users.ts";
import { WORKSPACE_ID } from "../workspace-id.ts";

/** The install's SSO rules (from OIDC_* settings). */
export type TSsoPolicy = {
  issuer: string;
  /** Domains whose first sign-in creates an account; undefined: the workspace's joining rules. */
  allowedDomains?: readonly string[] | undefined;
  requiredGroup?: string | undefined;
  adminGroup?: string | undefined;
};

/** The provider's claims as the web app read them from the verified ID token (+ userinfo). */
export const ZSsoClaims = z.object({
  subject: z.string().min(1).max(255),
  email: ZEmail,
  /** Only `true` counts as verified (a missing claim is not). */
  emailVerified: z.boolean(),
  name: z.string().max(500).optional(),
  groups: z.array(z.string().max(500)).max(2000).default([]),
  userAgent: z.string().max(512).optional(),
  ip: z.string().max(64).optional(),
});
export type TSsoClaims = z.input<typeof ZSsoClaims>;

/** Why an SSO sign-in was refused (the sign-in page words each; the audit entry names it). */
export type TSsoRefusal =
  | "invalid_profile"
  | "not_set_up"
  | "not_in_group"
  | "email_not_verified"
  | "domain_not_allowed"
  | "linked_elsewhere"
  | "deactivated";

/** What the audit entry says for each refusal. */
const REASONS: Record<TSsoRefusal, string> = {
  invalid_profile: "SSO: the provider sent no usable subject or e-mail",
  not_set_up: "SSO: the workspace is not set up",
  not_in_group: "SSO: not in the required group",
  email_not_verified: "SSO: the provider did not verify the e-mail",
  domain_not_allowed: "SSO: no account and the e-mail's domain may not join",
  linked_elsewhere: "SSO: the account is linked to another identity at this provider",
  deactivated: "deactivated",
};

/** The outcome: a session for the user, or a refusal. */
export type TSsoResult =
  | { ok: true; user: TUserDto; sessionId: string; isNewUser: boolean }
  | { ok: false; refusal: TSsoRefusal };

class Refused extends Error {
  constructor(
    readonly refusal: TSsoRefusal,
    readonly userId: string | null = null,
  ) {
    super(refusal);
  }
}

/** A display name for a new account: the provider's name, else the address's local part. */
function displayName(name: string | undefined, email: string): string {
  const parsed = ZPersonName.safeParse(name ?? "");
  if (parsed.success) return parsed.data;
  return email.slice(0, email.lastIndexOf("@")).slice(0, 80) || email.slice(0, 80);
}

/** The role the admin-group rule gives `current` (unchanged when the rule is off or for the owner). */
export function mappedRole(current: UserRole, policy: TSsoPolicy, groups: readonly string[]): UserRole {
  if (!policy.adminGroup || current === "owner") return current;
  if (groups.includes(policy.adminGroup)) return "admin";
  return current === "admin" ? "member" : current;
}

async function resolveUser(
  w: TWriter,
  policy: TSsoPolicy,
  claims: z.output<typeof ZSsoClaims>,
  origin: TAuditOrigin,
): Promise<{ user: TUserDto; isNewUser: boolean }> {
  const { tx } = w;
  const identity = await tx.ssoIdentity.findUnique({
    where: { issuer_subject: { issuer: policy.issuer, subject: claims.subject } },
    select: { id: true, user: { select: userDtoSelect } },
  });
  if (identity) {
    await tx.ssoIdentity.update({ where: { id: identity.id }, data: { lastUsedAt: new Date() } });
    return { user: identity.user, isNewUser: false };
  }
  const existing = await tx.user.findUnique({ where: { email: claims.email }, select: userDtoSelect });
  if (existing) {
    if (!claims.emailVerified) throw new Refused("email_not_verified", existing.id);
    if (existing.deactivatedAt) throw new Refused("deactivated", existing.id);
    const other = await tx.ssoIdentity.findFirst({
      where: { userId: existing.id, issuer: policy.issuer },
      select: { id: true },
    });
    if (other) throw new Refused("linked_elsewhere", existing.id);
    await tx.ssoIdentity.create({
      data: { issuer: policy.issuer, subject: claims.subject, userId: existing.id, email: claims.email },
    });
    await recordAudit(tx, {
      action: "auth.sso_linked",
      actorId: existing.id,
      target: { type: "user", id: existing.id, label: existing.email },
      origin,
      details: { issuer: policy.issuer, subject: claims.subject },
    });
    return { user: existing, isNewUser: false };
  }
  if (!claims.emailVerified) throw new Refused("email_not_verified");
  const ws = await tx.workspace.findUnique({
    where: { id: WORKSPACE_ID },
    select: { signupMode: true, signupDomains: true },
  });
  if (!ws) throw new Refused("not_set_up");
  const admitted = policy.allowedDomains
    ? policy.allowedDomains.includes(emailDomain(claims.email))
    : admitsWithoutInvite({ mode: ws.signupMode, domains: ws.signupDomains }, claims.email);
  if (!admitted) throw new Refused("domain_not_allowed");
  // Nobody knows this password: an SSO account signs in through its provider (an admin's reset
  // link can still give it one, for the day SSO is turned off).
  const passwordHash = await hashPassword(randomBytes(32).toString("base64url"));
  const user = await tx.user.create({
    data: {
      name: displayName(claims.name, claims.email),
      email: claims.email,
      passwordHash,
      role: mappedRole("member", policy, claims.groups),
    },
    select: userDtoSelect,
  });
  await tx.ssoIdentity.create({
    data: { issuer: policy.issuer, subject: claims.subject, userId: user.id, email: claims.email },
  });
  await joinDefaultChannels(w, user);
  await recordAudit(tx, {
    action: "auth.signed_up",
    actorId: user.id,
    target: { type: "user", id: user.id, label: user.email },
    origin,
    details: { via: "sso", issuer: policy.issuer, role: user.role },
  });
  return { user, isNewUser: true };
}

async function attempt(db: TDb, policy: TSsoPolicy, claims: z.output<typeof ZSsoClaims>) {
  const origin = { ip: claims.ip, userAgent: claims.userAgent };
  return inWriteTx(db, async (w) => {
    const { tx } = w;
    const { user, isNewUser } = await resolveUser(w, policy, claims, origin);
    if (user.deactivatedAt) throw new Refused("deactivated", user.id);
    let role = user.role;
    const mapped = mappedRole(user.role, policy, claims.groups);
    if (!isNewUser && mapped !== user.role) {
      await tx.user.update({ where: { id: user.id }, data: { role: mapped } });
      await appendUserEvent(w, user.id, UserEventKind.RoleChanged, { role: mapped, previousRole: user.role });
      await recordAudit(tx, {
        action: "user.role_changed",
        actorId: null,
        actorLabel: `single sign-on (${policy.adminGroup})`,
        target: { type: "user", id: user.id, label: user.email },
        origin,
        details: { before: user.role, after: mapped, via: "sso admin group" },
      });
      role = mapped;
    }
    const session = await tx.authSession.create({
      data: {
        userId: user.id,
        userAgent: claims.userAgent ?? null,
        ip: claims.ip ?? null,
        expiresAt: new Date(Date.now() + SESSION_TTL_MS),
      },
      select: { id: true },
    });
    await recordAudit(tx, {
      action: "auth.sign_in",
      actorId: user.id,
      target: { type: "session", id: session.id, label: claims.userAgent ?? null },
      origin,
      details: { method: "sso", issuer: policy.issuer },
    });
    return { user: { ...user, role }, sessionId: session.id, isNewUser };
  });
}

/**
 * Signs in the person the OpenID provider vouched for (see the file header for the rules): a
 * session, or a refusal that was audit-logged and wrote nothing else.
 */
export async function ssoSignIn(db: TDb, policy: TSsoPolicy, input: TSsoClaims): Promise<TSsoResult> {
  const parsed = ZSsoClaims.safeParse(input);
  const raw = input as { email?: unknown; ip?: unknown; userAgent?: unknown };
  const str = (v: unknown) => (typeof v === "string" ? v.slice(0, 320) : undefined);
  const refuse = async (refusal: TSsoRefusal, userId: string | null): Promise<TSsoResult> => {
    const email = parsed.success ? parsed.data.email : (str(raw.email) ?? "");
    await recordAudit(db, {
      action: "auth.sign_in_failed",
      actorId: userId,
      actorLabel: email,
      target: { type: "account", id: userId, label: email },
      origin: { ip: str(raw.ip), userAgent: str(raw.userAgent) },
      details: { reason: REASONS[refusal], method: "sso", issuer: policy.issuer },
    });
    return { ok: false, refusal };
  };
  if (!parsed.success) return refuse("invalid_profile", null);
  const claims = parsed.data;
  if (policy.requiredGroup && !claims.groups.includes(policy.requiredGroup)) {
    const known = await db.user.findUnique({ where: { email: claims.email }, select: { id: true } });
    return refuse("not_in_group", known?.id ?? null);
  }
  // Two first sign-ins of one person at once: the loser's INSERT hits a unique index; run again,
  // and it finds the identity the winner made.
  for (let round = 0; ; round++) {
    try {
      const done = await attempt(db, policy, claims);
      return { ok: true, ...done };
    } catch (err) {
      if (err instanceof Refused) return refuse(err.refusal, err.userId);
      if (round === 0 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}

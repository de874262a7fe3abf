/**
 * The single sign-on settings (OpenID Connect, core/src/sso; docs/self-hosting.md "Single
 * sign-on"), part of ZEnv (index.ts) in this order. SSO is on while OIDC_ISSUER is set; next-auth
 * discovers the endpoints from `<issuer>/.well-known/openid-configuration` and checks PKCE and state.
 */
import { z } from "zod";
import { ZBool, ZUrl } from "./schema-parts.ts";

export const SSO_SETTINGS = {
  OIDC_ISSUER: ZUrl(["http", "https"])
    .optional()
    .describe(
      "OpenID Connect issuer URL for single sign-on, e.g. `https://sso.example.com/realms/acme` (Keycloak); unset: no SSO.",
    ),
  OIDC_CLIENT_ID: z.string().min(1).optional().describe("Client id registered for Parley at OIDC_ISSUER."),
  OIDC_CLIENT_SECRET: z
    .string()
    .min(1)
    .optional()
    .meta({ description: "Client secret of OIDC_CLIENT_ID (a confidential client).", secret: true }),
  OIDC_NAME: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .default("SSO")
    .describe("Name on the sign-in button: `Sign in with <name>`."),
  OIDC_ALLOWED_DOMAINS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ?.split(",")
        .map((d) => d.trim().toLowerCase().replace(/^@/, ""))
        .filter((d) => d.length > 0),
    )
    .describe(
      "Comma-separated e-mail domains (exact match) whose first SSO sign-in creates an account; unset: the workspace's joining rules decide (open, allowed domains; invite only creates none).",
    ),
  OIDC_GROUPS_CLAIM: z
    .string()
    .min(1)
    .default("groups")
    .describe("Claim (ID token or userinfo) holding the user's groups, for the two settings below."),
  OIDC_REQUIRED_GROUP: z
    .string()
    .min(1)
    .optional()
    .describe("Only people in this group may sign in with SSO; unset: everyone the provider signs in."),
  OIDC_ADMIN_GROUP: z
    .string()
    .min(1)
    .optional()
    .describe(
      "People in this group are admins (set at each SSO sign-in; leaving it makes an admin a member; never the owner); unset: roles are managed in Parley.",
    ),
  PASSWORD_BREAK_GLASS_OWNER: ZBool.default(false).describe(
    "Break glass: while the workspace is SSO-only, the owner (only) may still sign in with a password.",
  ),
};

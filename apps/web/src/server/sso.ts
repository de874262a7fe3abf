/**
 * Single sign-on through next-auth v4's own OAuth/OIDC machinery (openid-client): endpoints from
 * the issuer's discovery document, the authorization-code flow with PKCE and state checked by
 * next-auth, the ID token's signature, issuer, audience and expiry checked by openid-client. Only
 * after that does `ssoSignIn` (core/src/sso) decide who it is; its claims come from the verified
 * ID token, completed by the userinfo endpoint (whose `sub` openid-client checks against the ID
 * token's), since providers differ in which of the two carries `email_verified` and groups.
 */

import type { TEnv } from "@parley/config";
import type { TSsoClaims, TSsoPolicy } from "@parley/core";
import type { OAuthConfig } from "next-auth/providers/oauth";

/** The provider id: the callback URL is `<PUBLIC_URL>/api/auth/callback/oidc`. */
export const OIDC_PROVIDER_ID = "oidc";

/** The claims next-auth hands on (ID token + userinfo). */
export type TOidcClaims = Record<string, unknown> & { sub: string };

/** The issuer without trailing slashes (as discovery documents spell it). */
function issuerOf(settings: TEnv): string | undefined {
  return settings.OIDC_ISSUER?.replace(/\/+$/, "");
}

/** next-auth's provider for the OIDC_* settings, or null when SSO is not configured. */
export function oidcProvider(settings: TEnv): OAuthConfig<TOidcClaims> | null {
  const issuer = issuerOf(settings);
  if (!issuer || !settings.OIDC_CLIENT_ID || !settings.OIDC_CLIENT_SECRET) return null;
  return {
    id: OIDC_PROVIDER_ID,
    name: settings.OIDC_NAME,
    type: "oauth",
    wellKnown: `${issuer}/.well-known/openid-configuration`,
    clientId: settings.OIDC_CLIENT_ID,
    clientSecret: settings.OIDC_CLIENT_SECRET,
    authorization: { params: { scope: "openid email profile" } },
    idToken: true,
    checks: ["pkce", "state"],
    userinfo: {
      async request({ tokens, client }) {
        // next-auth hands openid-client's TokenSet here (its type names only the parameters).
        const set = tokens as Extract<Parameters<typeof client.userinfo>[0], object>;
        const fromIdToken = set.claims();
        if (!client.issuer.metadata.userinfo_endpoint || !set.access_token) return fromIdToken;
        // openid-client refuses a userinfo answer whose `sub` differs from the ID token's; where
        // both carry a claim, the signed ID token wins.
        const fromUserinfo = await client.userinfo(set);
        return { ...fromUserinfo, ...fromIdToken };
      },
    },
    profile(claims) {
      return {
        id: claims.sub,
        name: typeof claims.name === "string" ? claims.name : null,
        email: typeof claims.email === "string" ? claims.email : null,
        role: "member",
        sid: "",
      };
    },
  };
}

/** The SSO rules for core from the settings. */
export function ssoPolicy(settings: TEnv): TSsoPolicy {
  return {
    issuer: issuerOf(settings) ?? "",
    allowedDomains: settings.OIDC_ALLOWED_DOMAINS,
    requiredGroup: settings.OIDC_REQUIRED_GROUP,
    adminGroup: settings.OIDC_ADMIN_GROUP,
  };
}

/** A groups claim as a list of names: an array of strings, or one string (some providers). */
function groupsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) return [];
  // Keycloak's full group paths ("/parley-admins") also match the plain name.
  return value
    .filter((g): g is string => typeof g === "string")
    .flatMap((g) => (g.startsWith("/") ? [g, g.slice(1)] : [g]));
}

/** Core's input from the verified claims and the request's origin. */
export function ssoClaims(
  settings: TEnv,
  claims: Record<string, unknown>,
  origin: { ip?: string | undefined; userAgent?: string | undefined } | undefined,
): TSsoClaims {
  return {
    subject: typeof claims.sub === "string" ? claims.sub : "",
    email: typeof claims.email === "string" ? claims.email : "",
    // A few providers send the JSON string "true"; a missing claim is not verified.
    emailVerified: claims.email_verified === true || claims.email_verified === "true",
    name: typeof claims.name === "string" ? claims.name : undefined,
    groups: groupsOf(claims[settings.OIDC_GROUPS_CLAIM]),
    ip: origin?.ip,
    userAgent: origin?.userAgent,
  };
}

import { parseEnv } from "@parley/config";
import { describe, expect, it } from "vitest";
import { oidcProvider, ssoClaims, ssoPolicy } from "./sso.ts";

const base = { DATABASE_URL: "postgresql://p@127.0.0.1/p", AUTH_SECRET: "x".repeat(32) };
const configured = parseEnv({
  ...base,
  OIDC_ISSUER: "https://sso.example.com/realms/acme/",
  OIDC_CLIENT_ID: "parley",
  OIDC_CLIENT_SECRET: "s3cret",
  OIDC_NAME: "Acme SSO",
  OIDC_ALLOWED_DOMAINS: "Acme.com, @example.org",
  OIDC_ADMIN_GROUP: "parley-admins",
});

describe("the OIDC provider from the settings", () => {
  it("is absent without OIDC_ISSUER, and the issuer needs a client id and secret", () => {
    expect(oidcProvider(parseEnv(base))).toBeNull();
    expect(() => parseEnv({ ...base, OIDC_ISSUER: "https://sso.example.com" })).toThrow(/OIDC_CLIENT_ID/);
  });

  it("discovers the issuer's endpoints and checks PKCE and state on the ID token flow", () => {
    expect(oidcProvider(configured)).toMatchObject({
      id: "oidc",
      name: "Acme SSO",
      type: "oauth",
      wellKnown: "https://sso.example.com/realms/acme/.well-known/openid-configuration",
      idToken: true,
      checks: ["pkce", "state"],
      clientId: "parley",
    });
    expect(ssoPolicy(configured)).toEqual({
      issuer: "https://sso.example.com/realms/acme",
      allowedDomains: ["acme.com", "example.org"],
      requiredGroup: undefined,
      adminGroup: "parley-admins",
    });
  });
});

describe("claims for core", () => {
  it("counts only a true email_verified (or the string some providers send) as verified", () => {
    const origin = { ip: "192.0.2.1", userAgent: "UA" };
    expect(
      ssoClaims(configured, { sub: "s", email: "a@acme.com", email_verified: true }, origin),
    ).toMatchObject({
      subject: "s",
      email: "a@acme.com",
      emailVerified: true,
      ip: "192.0.2.1",
    });
    expect(
      ssoClaims(configured, { sub: "s", email: "a@acme.com", email_verified: "true" }, origin).emailVerified,
    ).toBe(true);
    expect(ssoClaims(configured, { sub: "s", email: "a@acme.com" }, origin).emailVerified).toBe(false);
    expect(
      ssoClaims(configured, { sub: "s", email: "a@acme.com", email_verified: "false" }, origin).emailVerified,
    ).toBe(false);
  });

  it("reads groups as a list, a single string, or Keycloak's full paths; ignores anything else", () => {
    const groups = (value: unknown) => ssoClaims(configured, { sub: "s", groups: value }, undefined).groups;
    expect(groups(["a", "/parley-admins", 7])).toEqual(["a", "/parley-admins", "parley-admins"]);
    expect(groups("parley-admins")).toEqual(["parley-admins"]);
    expect(groups({ nope: true })).toEqual([]);
  });
});

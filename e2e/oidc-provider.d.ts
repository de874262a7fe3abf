// oidc-provider ships no types; the test provider (sso-provider.ts) uses a small part of it.
declare module "oidc-provider";

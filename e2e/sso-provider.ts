/**
 * A real OpenID provider for e2e/sso.spec.ts: `oidc-provider` (pinned in e2e/package.json) on
 * loopback, with one confidential client registered for the e2e web server's callback URL and a
 * minimal login page of its own (the library's dev pages pull a web font from the internet).
 *
 * The web server reads OIDC_ISSUER when it starts, long before a spec runs, so the provider's port
 * cannot be picked free: it is E2E_PORT + 1000 (4100 for the default 3100), set as the web
 * server's OIDC_* env in playwright.config.ts and started once per run by global-setup.ts (next-auth
 * fetches the discovery document only when someone signs in).
 *
 * Who exists there: any login typed into its page is that person's e-mail address (subject
 * `sub:<address>`, name from the part before "@", verified) — the spec makes people up per run.
 * Their `groups` claim comes from the address too (`groupsOf`): everyone is in SSO_USERS_GROUP
 * (the server's OIDC_REQUIRED_GROUP), an address starting `admin-` also in SSO_ADMIN_GROUP
 * (OIDC_ADMIN_GROUP, as a Keycloak-style path `/parley-admins`), one starting `nogroup-` in none.
 * `signInWithSso` is the browser's way through it (sso.spec.ts, sso-only.spec.ts).
 */
import { createServer, type IncomingMessage } from "node:http";
import { expect, type Page } from "@playwright/test";
import Provider from "oidc-provider";

export const SSO_CLIENT_ID = "parley-e2e";
export const SSO_CLIENT_SECRET = "e2e-sso-client-secret-not-used-anywhere-else";
/** The button reads "Sign in with E2E SSO". */
export const SSO_NAME = "E2E SSO";
/** OIDC_ALLOWED_DOMAINS of the e2e server: first sign-ins at this domain get an account. */
export const SSO_DOMAIN = "sso.test";

/** The provider's port for an e2e web server port (see the header). */
export function ssoPort(e2ePort: number): number {
  return e2ePort + 1000;
}

/** OIDC_REQUIRED_GROUP of the e2e server: every test account is in it but `nogroup-…` ones. */
export const SSO_USERS_GROUP = "parley-users";
/** OIDC_ADMIN_GROUP of the e2e server: `admin-…` accounts are in it. */
export const SSO_ADMIN_GROUP = "parley-admins";

/** The groups claim the provider sends for `email` (see the header). */
export function groupsOf(email: string): string[] {
  if (email.startsWith("nogroup-")) return [];
  // Keycloak sends full group paths; Parley matches "/parley-admins" to "parley-admins".
  if (email.startsWith("admin-")) return [SSO_USERS_GROUP, `/${SSO_ADMIN_GROUP}`];
  return [SSO_USERS_GROUP];
}

/** The issuer URL (OIDC_ISSUER) for an e2e web server port. */
export function ssoIssuer(e2ePort: number): string {
  return `http://127.0.0.1:${ssoPort(e2ePort)}`;
}

/** The web server's OIDC settings, for playwright.config.ts. */
export function ssoServerEnv(e2ePort: number): Record<string, string> {
  return {
    OIDC_ISSUER: ssoIssuer(e2ePort),
    OIDC_CLIENT_ID: SSO_CLIENT_ID,
    OIDC_CLIENT_SECRET: SSO_CLIENT_SECRET,
    OIDC_NAME: SSO_NAME,
    OIDC_ALLOWED_DOMAINS: SSO_DOMAIN,
    OIDC_REQUIRED_GROUP: SSO_USERS_GROUP,
    OIDC_ADMIN_GROUP: SSO_ADMIN_GROUP,
  };
}

type TClaims = { sub: string; email: string; email_verified: boolean; name: string; groups: string[] };

/** The claims of the person who typed `login` (see the header). */
function claimsOf(login: string): TClaims {
  const email = login.trim().toLowerCase();
  const local = email.split("@")[0] ?? email;
  return { sub: `sub:${email}`, email, email_verified: true, name: `SSO ${local}`, groups: groupsOf(email) };
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Starts the provider on its fixed loopback port; `close` stops it. */
export async function startSsoProvider(
  e2ePort: number,
  baseURL: string,
): Promise<{ close: () => Promise<void> }> {
  const provider = new Provider(ssoIssuer(e2ePort), {
    clients: [
      {
        client_id: SSO_CLIENT_ID,
        client_secret: SSO_CLIENT_SECRET,
        redirect_uris: [`${baseURL}/api/auth/callback/oidc`],
        response_types: ["code"],
        grant_types: ["authorization_code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "groups"] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: { keys: ["e2e-sso-cookie-signing-key"] },
    async findAccount(_ctx: unknown, id: string) {
      return { accountId: id, claims: async () => claimsOf(id) };
    },
    // A first-party client: no consent screen, every requested scope granted.
    async loadExistingGrant(ctx: {
      oidc: {
        client: { clientId: string };
        session: { accountId: string; grantIdFor: (clientId: string) => string | undefined };
        result?: { consent?: { grantId?: string } };
        provider: {
          Grant: {
            find: (id: string) => Promise<unknown>;
            new (init: {
              clientId: string;
              accountId: string;
            }): {
              addOIDCScope: (scope: string) => void;
              save: () => Promise<string>;
            };
          };
        };
      };
    }) {
      const { oidc } = ctx;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      const grant = new oidc.provider.Grant({
        clientId: oidc.client.clientId,
        accountId: oidc.session.accountId,
      });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();
  const server = createServer((req, res) => {
    const uid = /^\/interaction\/([\w-]+)$/.exec(req.url ?? "")?.[1];
    if (!uid) {
      callback(req, res);
      return;
    }
    void (async () => {
      try {
        if (req.method === "POST") {
          const login = (await formBody(req)).get("login") ?? "";
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId: login } },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        await provider.interactionDetails(req, res);
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(`<!doctype html><title>${SSO_NAME} sign-in</title>
<h1>${escapeHtml(SSO_NAME)}</h1>
<form method="post" action="/interaction/${escapeHtml(uid)}">
  <label>Login <input name="login" required autofocus></label>
  <label>Password <input name="password" type="password"></label>
  <button type="submit">Continue to Parley</button>
</form>`);
      } catch (err) {
        res.writeHead(400, { "content-type": "text/plain" });
        res.end(`interaction failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(ssoPort(e2ePort), "127.0.0.1", () => resolve());
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** From Parley's sign-in page through the provider's login page, as `email`. */
export async function signInWithSso(page: Page, email: string): Promise<void> {
  await page.goto("/sign-in");
  const login = page.getByLabel("Login");
  // A click before hydration follows the link to next-auth's page, which sends the browser back
  // to /sign-in: click again until the provider's page is there.
  await expect(async () => {
    if (!/\/sign-in/.test(page.url())) await page.goto("/sign-in");
    await page.getByRole("link", { name: `Sign in with ${SSO_NAME}` }).click();
    await expect(login).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 30_000 });
  expect(new URL(page.url()).host).toBe(`127.0.0.1:${ssoPort(Number(process.env.E2E_PORT ?? 3100))}`);
  await login.fill(email);
  await page.getByLabel("Password").fill("whatever-the-provider-checks");
  await page.getByRole("button", { name: "Continue to Parley" }).click();
}

/**
 * Runs once per e2e run, before any spec: the OpenID provider sso.spec.ts signs in with
 * (e2e/sso-provider.ts), on its fixed port E2E_PORT + 1000 — the web server's OIDC_ISSUER — for
 * as long as the run lasts. Started here rather than by the spec, so parallel workers (or
 * `--repeat-each`) never race for the port.
 */
import { startSsoProvider } from "./sso-provider.ts";

export default async function globalSetup(): Promise<() => Promise<void>> {
  const port = Number(process.env.E2E_PORT ?? 3100);
  const provider = await startSsoProvider(port, `http://localhost:${port}`);
  return provider.close;
}

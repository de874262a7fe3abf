/**
 * End-to-end tests against the production build of apps/web and a fresh database.
 * Run from the repo root: `node scripts/with-test-db.mjs playwright test -c e2e/playwright.config.ts`
 * (`npm run e2e`). with-test-db exports DATABASE_URL; the web server inherits it.
 */
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import { makeLocalCertificate } from "../packages/core/test/push-endpoint.ts";
import { pushTlsDir } from "./push-tls.ts";
import { ssoServerEnv } from "./sso-provider.ts";

const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://localhost:${port}`;

// push.spec.ts runs a local push service over HTTPS: the server must trust its certificate,
// made once per port here (before the server starts) and read by the spec from the same place.
const pushTls = pushTlsDir(port);
if (!existsSync(join(pushTls, "cert.pem"))) {
  mkdirSync(pushTls, { recursive: true });
  makeLocalCertificate(join(pushTls, "key.pem"), join(pushTls, "cert.pem"), 3650);
}

/** Specs that must not run beside another (see `projects`). */
const WORKSPACE_WIDE = [
  "joining.spec.ts",
  "retention.spec.ts",
  "broadcast-policy.spec.ts",
  "upload-limits.spec.ts",
  "auth-hardening.spec.ts",
  "sso-only.spec.ts",
];
/**
 * Specs on servers of their own (`npm start` with its own PostgreSQL; proxy-topology's web server,
 * two gateways and nginx on a database of their own): they load the box, so they wait for the
 * rest, but they touch nothing the shared server holds, so they run beside WORKSPACE_WIDE.
 */
const OWN_SERVERS = ["start.spec.ts", "proxy-topology.spec.ts"];

export default defineConfig({
  testDir: ".",
  testMatch: "**/*.spec.ts",
  outputDir: "./test-results",
  fullyParallel: false,
  // Two spec files at a time: most of a browser test is waiting (the server, the socket, the
  // animation frame), so two workers take ≈ 40 % less time on this 2-core box. Tests inside a file
  // stay in order; specs that change what every other spec relies on run alone, after (below).
  workers: 2,
  retries: 0,
  timeout: 60_000,
  // A first open of the app takes ≈ 1.5 s on a quiet box and ≈ 1 s of renderer CPU; CI boxes
  // run up to 2.5× slower than this one, with both workers' Chromium, the server and Postgres on two
  // cores (the renderer of a failed `?m=` open was not scheduled for 7 s): 15 s for what must
  // happen, never for how fast.
  expect: { timeout: 15_000 },
  reporter: [["list"], ["./timing-reporter.ts"]],
  // The OpenID provider of sso.spec.ts, for the whole run (global-setup.ts).
  globalSetup: "./global-setup.ts",
  // foundation.spec.ts tells the first-run story, so it needs the fresh database: it runs before
  // every other spec (which cope with a workspace that already exists), whatever their names.
  // WORKSPACE_WIDE specs change settings every spec shares (who may sign up, SSO only, retention,
  // the broadcast policy, upload limits, lockouts): they run one at a time after the rest, never
  // beside another spec of the shared server. OWN_SERVERS specs run one at a time beside them.
  projects: [
    { name: "first-run", testMatch: "foundation.spec.ts", workers: 1 },
    {
      name: "app",
      testIgnore: ["foundation.spec.ts", ...WORKSPACE_WIDE, ...OWN_SERVERS],
      dependencies: ["first-run"],
    },
    { name: "workspace-wide", testMatch: WORKSPACE_WIDE, dependencies: ["app"], workers: 1 },
    { name: "own-servers", testMatch: OWN_SERVERS, dependencies: ["app"], workers: 1 },
  ],
  use: {
    baseURL,
    screenshot: "only-on-failure",
    // A failed test's trace keeps the DOM snapshots of every step (what the page was), not the
    // screencast: its frames cost the 2-core box ≈ 15 % of the suite's time (2.1–2.5 min vs
    // 2.7–2.8 for threads/saved/screens/a11y, two pairs); the failure screenshot is kept anyway.
    // On CI (CI=true) no trace at all: its log is all anyone sees of a run, the trace files stay on
    // the box, and recording every action's DOM cost the run 3–19 % (two pairs of a11y, threads and
    // saved). The failure screenshot and recordTraffic's lines still say what happened.
    trace: process.env.CI
      ? "off"
      : { mode: "retain-on-failure", screenshots: false, snapshots: true, sources: true },
    launchOptions: {
      // Debian's chromium by default; CHROMIUM_PATH points at another build (npm test checks it
      // first). Launched through chromium.sh, which turns off the browser's own omnibox WebUI pages
      // (≈ 1.4 s of CPU per browser context on this box).
      executablePath: join(import.meta.dirname, "chromium.sh"),
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Voice messages: a fake microphone (a beeping tone) granted without a prompt.
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
      ],
    },
  },
  webServer: {
    command: "node start-web.mjs",
    cwd: import.meta.dirname,
    url: `${baseURL}/api/healthz`,
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      PORT: String(port),
      PUBLIC_URL: baseURL,
      AUTH_SECRET: "e2e-test-secret-that-is-at-least-32-characters-long",
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      // Uploads on local disk — the `npm start` default — in a scratch directory, never in the
      // checkout, even when the S3 test server is running (an empty S3_ENDPOINT is unset: config
      // drops empty values): CI ran every browser test on S3 and so never saw local-disk uploads
      // over 10 MB cut by Next's request proxy. proxy-topology.spec.ts's own server uses S3.
      S3_ENDPOINT: "",
      STORAGE_DIR: process.env.STORAGE_DIR ?? join(tmpdir(), `parley-e2e-files-${port}`),
      // The suite signs up dozens of users from 127.0.0.1: a roomier sign-up budget than the
      // production default (20 per address per hour), with the limiter still on. Sign-in keeps
      // the production defaults (auth-limits.spec.ts locks an account and reads the 429).
      RATE_LIMIT_SIGNUP_PER_HOUR: "500",
      // Link previews of message-rendering.spec.ts's local page server (any port of 127.0.0.1;
      // the same server reached as "localhost" stays refused, which that spec checks).
      LINK_PREVIEW_ALLOW_HOSTS: "127.0.0.1",
      // slash-commands.spec.ts's app answers on 127.0.0.1 (any port).
      SLASH_COMMAND_ALLOW_HOSTS: "127.0.0.1",
      // Web push to the local push service of push.spec.ts (a self-signed certificate).
      NODE_EXTRA_CA_CERTS: join(pushTls, "cert.pem"),
      // Single sign-on against the OpenID provider global-setup.ts starts on E2E_PORT + 1000
      // (e2e/sso-provider.ts). Only the sign-in page's extra button shows it elsewhere: only
      // sso-only.spec.ts turns SSO-only on — alone (WORKSPACE_WIDE) and off again before it ends —
      // so passwords work for every other spec.
      ...ssoServerEnv(port),
    },
  },
});

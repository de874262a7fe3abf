#!/usr/bin/env node
/**
 * `npm run audit:deps`: `npm audit --omit=dev --audit-level=high` — the runtime dependencies
 * must have no known high or critical advisory. Run by `npm test` beside lint and typecheck.
 *
 * npm asks the registry's bulk advisory endpoint. When that endpoint cannot answer (offline, or a
 * registry mirror without it — this project's build machine answers 405 Method Not Allowed), the
 * audit did not happen: this says so loudly and exits 0, so a mirror's gap does not fail every
 * run; set AUDIT_REQUIRED=1 to make that an error too (a release build should). Findings always
 * fail.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The levels that fail the audit. */
const FAILING = ["high", "critical"];

/**
 * Judges `npm audit --json` output: `fail` with the advisories at FAILING levels, `pass` when
 * there are none, `unavailable` when npm could not get an answer from the registry.
 */
export function judgeAudit(stdout) {
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    return { outcome: "unavailable", text: "npm audit printed no JSON report" };
  }
  const counts = report?.metadata?.vulnerabilities;
  if (!counts || typeof counts !== "object") {
    const why =
      report?.message || report?.error?.summary || (report?.statusCode && `HTTP ${report.statusCode}`);
    return {
      outcome: "unavailable",
      text: `the registry gave no audit report (${why || "no reason given"})`,
    };
  }
  const failing = FAILING.reduce((n, level) => n + (Number(counts[level]) || 0), 0);
  if (failing === 0) {
    return { outcome: "pass", text: `no high or critical advisories (${counts.total ?? 0} lower)` };
  }
  const names = Object.entries(report.vulnerabilities ?? {})
    .filter(([, v]) => FAILING.includes(v?.severity))
    .map(([name, v]) => `${name} (${v.severity})`);
  return { outcome: "fail", text: `${failing} high/critical advisories: ${names.join(", ")}` };
}

function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const run = spawnSync("npm", ["audit", "--omit=dev", "--audit-level=high", "--json"], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  const verdict = judgeAudit(run.stdout ?? "");
  if (verdict.outcome === "pass") {
    console.log(`audit: ${verdict.text}`);
    return 0;
  }
  if (verdict.outcome === "fail") {
    console.error(`audit: FAILED — ${verdict.text}; run \`npm audit --omit=dev\` for the fixes`);
    return 1;
  }
  const line = "!".repeat(78);
  const required = process.env.AUDIT_REQUIRED === "1";
  console.error(
    [
      line,
      `!! audit: NOT RUN — ${verdict.text}.`,
      "!! The dependencies' advisories were not checked; run `npm audit --omit=dev` where the registry answers.",
      required ? "!! AUDIT_REQUIRED=1: that is an error." : "!! (AUDIT_REQUIRED=1 makes this an error.)",
      line,
    ].join("\n"),
  );
  return required ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}

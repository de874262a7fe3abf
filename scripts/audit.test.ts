import { describe, expect, it } from "vitest";
import { judgeAudit } from "./audit.mjs";

const report = (counts: Record<string, number>, vulnerabilities: Record<string, { severity: string }> = {}) =>
  JSON.stringify({
    auditReportVersion: 2,
    vulnerabilities,
    metadata: {
      vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0, ...counts },
    },
  });

describe("judgeAudit", () => {
  it("passes a report without high or critical advisories", () => {
    expect(judgeAudit(report({ low: 2, moderate: 1, total: 3 }))).toEqual({
      outcome: "pass",
      text: "no high or critical advisories (3 lower)",
    });
  });

  it("fails on a high or critical advisory and names the packages", () => {
    const verdict = judgeAudit(
      report(
        { high: 1, critical: 1, moderate: 1, total: 3 },
        { next: { severity: "critical" }, ws: { severity: "high" }, debug: { severity: "moderate" } },
      ),
    );
    expect(verdict.outcome).toBe("fail");
    expect(verdict.text).toBe("2 high/critical advisories: next (critical), ws (high)");
  });

  it("says the audit did not happen when the registry has no advisory endpoint", () => {
    // What npm 11 prints here: the mirror answers the bulk endpoint with 405.
    const verdict = judgeAudit(
      JSON.stringify({
        message: "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
        statusCode: 405,
        error: { summary: "", detail: "" },
      }),
    );
    expect(verdict.outcome).toBe("unavailable");
    expect(verdict.text).toContain("405 Method Not Allowed");
    expect(judgeAudit("").outcome).toBe("unavailable");
  });
});

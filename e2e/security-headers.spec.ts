/** Every page and API answer carries the security headers SECURITY.md promises. */
import { expect, test } from "@playwright/test";

for (const path of ["/sign-in", "/api/healthz", "/api/trpc/workspace.status"]) {
  test(`${path} is served with the security headers`, async ({ request }) => {
    const res = await request.get(path);
    const headers = res.headers();
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(headers["permissions-policy"]).toContain("microphone=(self)");
    expect(headers["x-powered-by"]).toBeUndefined();
  });
}

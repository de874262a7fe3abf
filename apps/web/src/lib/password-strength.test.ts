import { translations } from "@zxcvbn-ts/language-en";
import { describe, expect, it } from "vitest";
import ar from "../i18n/messages/ar.json";
import en from "../i18n/messages/en.json";
import { keysAsTranslations, passwordStrength } from "./password-strength";

describe("password strength feedback", () => {
  it("comes back as message keys, each worded in every language", async () => {
    const weak = await passwordStrength("password1");
    expect(weak.ok).toBe(false);
    expect(weak.feedback.length).toBeGreaterThan(0);
    for (const key of weak.feedback) expect(key).toMatch(/^(warnings|suggestions)\.\w+$/);
  });

  it("has a text in English and Arabic for every warning and suggestion zxcvbn can give", () => {
    for (const group of ["warnings", "suggestions"] as const) {
      for (const key of Object.keys(translations[group])) {
        for (const messages of [en, ar]) {
          const feedback = messages.Account.passwordFeedback as Record<string, Record<string, string>>;
          expect(feedback[group]?.[key], `${group}.${key}`).toEqual(expect.any(String));
        }
      }
    }
    // English keeps zxcvbn's own sentences.
    expect(en.Account.passwordFeedback.warnings.topTen).toBe(translations.warnings.topTen);
  });

  it("maps zxcvbn's table to its own keys", () => {
    const table = keysAsTranslations(translations);
    expect(table.warnings.topTen).toBe("warnings.topTen");
    expect(table.suggestions.useWords).toBe("suggestions.useWords");
    expect(table.timeEstimation.ltSecond).toBe("timeEstimation.ltSecond");
  });
});

describe("the meter and the server", () => {
  it("score every password alike (same dictionaries, same l33t cap)", async () => {
    const { checkPasswordStrength } = await import("../../../../packages/core/src/password-strength.ts");
    for (const password of [
      "password1",
      "p@ssw0rd",
      "dr4g0n123",
      "Tr0ub4dor&3",
      "user-1-password-12345-long",
      "1!|il0o3e4a@5$7+".repeat(7),
      "correct horse battery staple",
    ]) {
      expect((await passwordStrength(password)).score, password).toBe(checkPasswordStrength(password).score);
    }
  });
});

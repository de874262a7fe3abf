import { PASSWORD_STRENGTH_OPTIONS } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import { checkPasswordStrength, MIN_PASSWORD_SCORE } from "../src/password-strength.ts";

// The l33t cap (PASSWORD_STRENGTH_OPTIONS) bounds the check's work; it must not let weak passwords
// through. Each of these is a common password with l33t substitutions, scored below 3 both
// with zxcvbn-ts's default (100 substitutions) and with the cap (measured when the cap was set).
const WEAK_L33T = [
  "p@ssw0rd",
  "P@55w0rd!",
  "l3tm31n",
  "dr4g0n123",
  "$ecret1",
  "p4ssw0rd1",
  "m0nk3y12",
  "1qaz@WSX",
  "h3ll0w0rld",
  "4dm1n1str4t0r",
  "5up3rm4n",
];

describe("password strength", () => {
  it("caps l33t substitutions", () => {
    expect(PASSWORD_STRENGTH_OPTIONS.l33tMaxSubstitutions).toBeLessThanOrEqual(10);
  });

  it("still refuses common passwords written in l33t", () => {
    for (const password of WEAK_L33T) {
      const verdict = checkPasswordStrength(password);
      expect(verdict.score, password).toBeLessThan(MIN_PASSWORD_SCORE);
      expect(verdict.ok, password).toBe(false);
      expect(verdict.message, password).toMatch(/^password is too easy to guess/);
    }
  });

  it("accepts long passphrases and scores a string of l33t characters without refusing it", () => {
    expect(checkPasswordStrength("user-1-password-12345-long").ok).toBe(true);
    expect(checkPasswordStrength("correct horse battery staple").ok).toBe(true);
    // The hostile shape that cost 600–700 ms per check without the cap: still scored, still strong.
    expect(checkPasswordStrength("1!|il0o3e4a@5$7+".repeat(16)).ok).toBe(true);
  });

  it("counts the name and e-mail as guessable", () => {
    expect(checkPasswordStrength("Zephyrine Kowalczyk").ok).toBe(true);
    expect(checkPasswordStrength("Zephyrine Kowalczyk", ["Zephyrine Kowalczyk"]).ok).toBe(false);
  });
});

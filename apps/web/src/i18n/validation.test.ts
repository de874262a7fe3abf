/**
 * Validation issues in Arabic (validation.ts): our schemas' messages from the server-error
 * catalog, zod's codes from the `Validation` messages, anything else in English, and English
 * exactly as the server sent it; `fieldError` and the "Invalid input: {issues}" text use them.
 */
import IntlMessageFormat from "intl-messageformat";
import { describe, expect, it } from "vitest";
import { fieldError } from "~/lib/field-errors";
import arMessages from "./messages/ar.json";
import { translateError } from "./server-errors";
import ar from "./server-errors/ar.json";
import { type TFieldIssue, type TValidationText, translateIssue } from "./validation";

const text: TValidationText = (key, values) =>
  String(new IntlMessageFormat(arMessages.Validation[key], "ar").format(values));
const arabic = (issue: TFieldIssue) => translateIssue(issue, { catalog: ar, locale: "ar", text });
const english = (issue: TFieldIssue) => translateIssue(issue, { catalog: null, locale: "en", text });

const tooLong: TFieldIssue = {
  path: "name",
  message: "Too big: expected string to have <=80 characters",
  code: "too_big",
  params: { origin: "string", maximum: 80, inclusive: true },
};
const badDomain: TFieldIssue = {
  path: "domains.1",
  message: "must be a domain such as example.com",
  code: "invalid_format",
  params: { format: "regex" },
};
const odd: TFieldIssue = { path: "x", message: "Invalid key in record", code: "invalid_key", params: {} };

describe("translateIssue", () => {
  it("shows a message our schema wrote from the catalog", () => {
    expect(arabic(badDomain)).toBe(ar["must be a domain such as example.com"]);
  });

  it("words zod's too_big for text with its maximum, in Arabic plural forms", () => {
    expect(arabic(tooLong)).toBe("80 حرفًا على الأكثر");
    expect(arabic({ ...tooLong, params: { ...tooLong.params, maximum: 3 } })).toBe("3 أحرف على الأكثر");
    expect(arabic({ ...tooLong, params: { origin: "number", maximum: 10, inclusive: false } })).toBe(
      "يجب أن يكون أقل من 10",
    );
  });

  it("says an empty required text is required, and lists the allowed values", () => {
    const empty = {
      ...tooLong,
      code: "too_small",
      params: { origin: "string", minimum: 1, inclusive: true },
    };
    expect(arabic(empty)).toBe("مطلوب");
    const choice = {
      path: "kind",
      message: "Invalid option",
      code: "invalid_value",
      params: { values: ["a", "b"] },
    };
    expect(arabic(choice)).toContain("a");
    expect(arabic(choice)).toMatch(/[\u0600-\u06ff]/);
  });

  it("keeps the English message for a code it does not word, and English as sent", () => {
    expect(arabic(odd)).toBe("Invalid key in record");
    expect(english(tooLong)).toBe(tooLong.message);
    expect(english(badDomain)).toBe(badDomain.message);
  });
});

describe("fieldError and the refused input's text", () => {
  const error = {
    message: `Invalid input: name: ${tooLong.message}; domains.1: ${badDomain.message}`,
    data: {
      template: "Invalid input: {issues}",
      params: { issues: `name: ${tooLong.message}; domains.1: ${badDomain.message}` },
      fieldErrors: { name: [tooLong.message], "domains.1": [badDomain.message] },
      fieldIssues: [tooLong, badDomain],
    },
  };

  it("gives a field's issues in Arabic, nested paths under their field", () => {
    expect(fieldError(error, "name", arabic)).toBe("80 حرفًا على الأكثر");
    expect(fieldError(error, "domains", arabic)).toBe(ar["must be a domain such as example.com"]);
    expect(fieldError(error, "email", arabic)).toBeUndefined();
  });

  it("reads fieldErrors as before without a translator or from an older server", () => {
    expect(fieldError(error, "name")).toBe(tooLong.message);
    const old = { ...error, data: { ...error.data, fieldIssues: undefined } };
    expect(fieldError(old, "domains", arabic)).toBe(badDomain.message);
  });

  it("lists the translated issues in 'Invalid input: {issues}'", () => {
    const translated = translateError(ar, "ar", error, undefined, arabic);
    expect(translated).toContain("name: 80 حرفًا على الأكثر; domains.1: ");
    expect(translated).not.toContain("Too big");
    expect(translateError(null, "en", error, undefined, english)).toBe(error.message);
  });
});

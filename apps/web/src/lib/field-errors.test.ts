import { describe, expect, it } from "vitest";
import { fieldError, formErrorMessage } from "./field-errors";

/** What a TRPCClientError carries for a validation failure. */
function validationError(fieldErrors: Record<string, string[]>, message = "Invalid input: …") {
  return Object.assign(new Error(message), { data: { code: "BAD_REQUEST", fieldErrors } });
}

describe("field errors of a tRPC error", () => {
  it("picks the messages about one field, including nested paths", () => {
    const err = validationError({ name: ["name is required"], "blockedTypes.2": ["must be a MIME type"] });
    expect(fieldError(err, "name")).toBe("name is required");
    expect(fieldError(err, "blockedTypes")).toBe("must be a MIME type");
    expect(fieldError(err, "topic")).toBeUndefined();
    expect(fieldError(null, "name")).toBeUndefined();
    expect(fieldError(new Error("boom"), "name")).toBeUndefined();
  });

  it("keeps the form-level message unless every issue is shown next to a field", () => {
    const err = validationError({ name: ["x"] }, "Invalid input: name: x");
    expect(formErrorMessage(err, ["name", "topic"])).toBe("Please correct the highlighted field.");
    expect(formErrorMessage(err, ["topic"])).toBe("Invalid input: name: x");
    expect(formErrorMessage(new Error("Conversation not found"), ["name"])).toBe("Conversation not found");
    expect(formErrorMessage(null, ["name"])).toBeUndefined();
  });
});

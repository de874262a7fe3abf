import { ParleyError } from "@parley/core";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  protectedProcedure,
  publicProcedure,
  router,
  setInternalErrorLogger,
  type TContext,
} from "./trpc.ts";

const testRouter = router({
  conflict: publicProcedure.query(() => {
    throw new ParleyError("CONFLICT", "A channel named #{name} already exists", {
      params: { name: "general" },
    });
  }),
  plain: publicProcedure.query(() => {
    throw new ParleyError("NOT_FOUND", "Conversation not found");
  }),
  signedIn: protectedProcedure.query(() => "ok"),
  validated: publicProcedure.input(z.object({ name: z.string().min(1) })).query(() => "ok"),
  form: publicProcedure
    .input(
      z.object({
        name: z.string().max(3),
        email: z.email({ message: "must be an e-mail address" }),
        kind: z.enum(["a", "b"]),
        tags: z.array(z.string().regex(/^[a-z]+$/, "letters only")),
      }),
    )
    .query(() => "ok"),
  broken: publicProcedure.query(() => {
    throw new Error("connection string postgres://secret@db");
  }),
});

/** The error shape a browser gets for `path` (a GET over the fetch adapter, superjson-decoded). */
async function errorOf(
  path: string,
  input?: unknown,
): Promise<{ message: string; data: Record<string, unknown> }> {
  const query =
    input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
  const res = await fetchRequestHandler({
    endpoint: "/trpc",
    req: new Request(`http://localhost/trpc/${path}${query}`),
    router: testRouter,
    createContext: () => ({}) as TContext,
  });
  const body = (await res.json()) as { error: { json: { message: string; data: Record<string, unknown> } } };
  return body.error.json;
}

describe("tRPC error formatter", () => {
  it("sends a core refusal's template and params beside its English message", async () => {
    const error = await errorOf("conflict");
    expect(error.message).toBe("A channel named #general already exists");
    expect(error.data).toMatchObject({
      code: "CONFLICT",
      template: "A channel named #{name} already exists",
      params: { name: "general" },
    });
  });

  it("sends the sign-in refusal of every protected procedure as a template too", async () => {
    const error = await errorOf("signedIn");
    expect(error.message).toBe("Sign in first");
    expect(error.data).toMatchObject({ code: "UNAUTHORIZED", httpStatus: 401, template: "Sign in first" });
  });

  it("sends the template with null params when there are none", async () => {
    const error = await errorOf("plain");
    expect(error.data).toMatchObject({ template: "Conversation not found", params: null });
  });

  it("gives tRPC's own input validation core's template", async () => {
    const error = await errorOf("validated", { name: "" });
    expect(error.data.template).toBe("Invalid input: {issues}");
    expect(error.message).toBe(`Invalid input: ${(error.data.params as { issues: string }).issues}`);
    expect(error.data.fieldErrors).toHaveProperty("name");
  });

  it("sends each field issue with zod's code and the values a translation needs", async () => {
    const error = await errorOf("form", { name: "abcd", email: "nope", kind: "c", tags: ["ok", "B"] });
    expect(error.data.fieldIssues).toEqual([
      {
        path: "name",
        message: expect.any(String),
        code: "too_big",
        params: { origin: "string", maximum: 3, inclusive: true },
      },
      {
        path: "email",
        message: "must be an e-mail address",
        code: "invalid_format",
        params: { format: "email" },
      },
      { path: "kind", message: expect.any(String), code: "invalid_value", params: { values: ["a", "b"] } },
      { path: "tags.1", message: "letters only", code: "invalid_format", params: { format: "regex" } },
    ]);
    // The English shapes older clients read stay as they were.
    expect(error.data.fieldErrors).toMatchObject({
      email: ["must be an e-mail address"],
      "tags.1": ["letters only"],
    });
    expect(error.message).toContain("email: must be an e-mail address");
  });

  it("sends no field issues for a refusal that is not about the input", async () => {
    expect((await errorOf("plain")).data.fieldIssues).toBeNull();
  });

  it("sends the internal-error template with its request id", async () => {
    setInternalErrorLogger(() => {});
    try {
      const error = await errorOf("broken");
      const requestId = error.data.requestId as string;
      expect(error.data.template).toMatch(/\{requestId\}/);
      expect(error.data.params).toEqual({ requestId });
      expect(error.message).toContain(requestId);
      expect(error.message).not.toContain("secret");
    } finally {
      setInternalErrorLogger();
    }
  });
});

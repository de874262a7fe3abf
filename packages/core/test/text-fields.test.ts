/**
 * "No field can forget": every string a client can send — core's input schemas (which tRPC
 * uses) and the wire commands — must carry the text check of @parley/protocol (`zText`/`zLine`),
 * which refuses NUL, other control characters and lone surrogates. This walks the schemas, so a
 * new field built on a bare `z.string()` fails here.
 */
import { ClientCommandSchemas, LINE_CHECK, TEXT_CHECK } from "@parley/protocol";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import * as files from "../src/files.ts";
import * as avatars from "../src/profile/avatar.ts";
import * as profile from "../src/profile/profile.ts";
import * as schemas from "../src/schemas.ts";

/**
 * Strings exempt from the check: request headers the server reads itself (userAgent, ip), and the
 * sign-in password, which is never stored (only compared with a hash), so refusing odd characters
 * protects nothing and could lock out a password set before new passwords were checked.
 */
const EXEMPT = new Set(["ZCredentials.userAgent", "ZCredentials.ip", "ZCredentials.password"]);

type Def = {
  type: string;
  format?: string;
  checks?: unknown[];
  shape?: Record<string, z.ZodType>;
  in?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
};

/** Paths of plain (format-less) string schemas that lack the text check. */
function uncheckedStrings(schema: z.ZodType, path: string, out: string[]): void {
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def;
  switch (def.type) {
    case "string":
      // uuid, email, … formats accept only their own characters.
      if (def.format) return;
      if (!def.checks?.some((c) => c === TEXT_CHECK || c === LINE_CHECK) && !EXEMPT.has(path)) {
        out.push(path);
      }
      return;
    case "object":
      for (const [key, value] of Object.entries(def.shape ?? {}))
        uncheckedStrings(value, `${path}.${key}`, out);
      return;
    case "pipe":
      // What the client sends is the pipe's input; the output side sees already-checked text.
      if (def.in) uncheckedStrings(def.in, path, out);
      return;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "nonoptional":
    case "readonly":
    case "catch":
      if (def.innerType) uncheckedStrings(def.innerType, path, out);
      return;
    case "array":
      if (def.element) uncheckedStrings(def.element, `${path}[]`, out);
      return;
    case "record":
      if (def.keyType) uncheckedStrings(def.keyType, `${path}{key}`, out);
      if (def.valueType) uncheckedStrings(def.valueType, `${path}{value}`, out);
      return;
    case "union":
      for (const option of def.options ?? []) uncheckedStrings(option, path, out);
      return;
    case "intersection":
      if (def.left) uncheckedStrings(def.left, path, out);
      if (def.right) uncheckedStrings(def.right, path, out);
      return;
    default:
      return;
  }
}

function isSchema(value: unknown): value is z.ZodType {
  return typeof value === "object" && value !== null && "_zod" in value && "safeParse" in value;
}

describe("every client text field refuses NUL, controls and lone surrogates", () => {
  const schemasIn = (module: Record<string, unknown>): [string, z.ZodType][] =>
    Object.entries(module).flatMap(([name, value]): [string, z.ZodType][] =>
      isSchema(value) ? [[name, value]] : [],
    );
  const all: [string, z.ZodType][] = [
    ...schemasIn(schemas),
    ...schemasIn(files),
    ...schemasIn(profile),
    ...schemasIn(avatars),
    ...Object.entries(ClientCommandSchemas).map(([type, s]): [string, z.ZodType] => [`command:${type}`, s]),
  ];

  it("finds the schemas it checks", () => {
    const names = all.map(([name]) => name);
    for (const name of [
      "ZSendMessage",
      "ZEditMessage",
      "ZCreateUpload",
      "ZSetStatus",
      "ZUpdateProfile",
      "ZCreateAvatarUpload",
      "command:send",
    ]) {
      expect(names).toContain(name);
    }
  });

  it("has the text check on every plain string", () => {
    const missing: string[] = [];
    for (const [name, schema] of all) uncheckedStrings(schema, name, missing);
    expect(missing).toEqual([]);
  });
});

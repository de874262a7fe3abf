/**
 * The server-error catalogs (server-errors.ts): every English template the code can send — the
 * second argument of `new ParleyError(` and each `errorTemplate("…")` marker, found by a TypeScript
 * AST scan of packages/∗/src and apps/∗/src (tests excluded) — has a translation in each catalog,
 * each catalog entry is still used, templates are string literals (a template literal or a
 * variable cannot be extracted; a variable is allowed only where it forwards marked templates,
 * listed in FORWARDERS), and each translation parses as ICU with exactly the English placeholders.
 * Validation messages our zod schemas write (`.min(1, "…")`, `.refine(f, { message: "…" })`) reach
 * clients as field issues, so in packages/∗/src they must be marked `errorTemplate("…")` too: a bare
 * literal there is a problem (packages/config's are for operators, not clients, and stay English).
 * Also the translation itself: Arabic with params, English fallback for an unknown template.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "@formatjs/icu-messageformat-parser";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { argumentsOf } from "./icu-arguments";
import { translateError } from "./server-errors";
import ar from "./server-errors/ar.json";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/**
 * `new ParleyError(code, <variable>)` sites that forward a template made elsewhere (each from
 * `errorTemplate(…)` or a literal `new ParleyError`), as "file: argument text". A new entry needs
 * its templates marked where they are written.
 */
const FORWARDERS = new Set([
  "packages/core/src/access.ts: message",
  "packages/core/src/auth.ts: refusal.template",
  "packages/core/src/auth.ts: consumed.refusal",
  "packages/core/src/guests.ts: template",
  "packages/core/src/messages/broadcast.ts: template",
  "packages/core/src/messages/windows.ts: template",
  "packages/core/src/profile/profile.ts: message",
  'packages/core/src/users.ts: OUTRANK_REFUSALS[verb][target === "owner" ? "owner" : "admin"]',
]);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules" && entry.name !== "generated") sourceFiles(full, out);
    } else if (
      /\.tsx?$/.test(entry.name) &&
      !/\.test\.tsx?$/.test(entry.name) &&
      !entry.name.endsWith(".d.ts")
    ) {
      out.push(full);
    }
  }
  return out;
}

/** The literal strings an expression can evaluate to (a literal, or a conditional of literals), or null. */
function literalsOf(node: ts.Expression): string[] | null {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isParenthesizedExpression(node)) return literalsOf(node.expression);
  if (ts.isConditionalExpression(node)) {
    const a = literalsOf(node.whenTrue);
    const b = literalsOf(node.whenFalse);
    return a && b ? [...a, ...b] : null;
  }
  return null;
}

/** zod methods whose string argument (or `message` option) is the message. */
const ZOD_MESSAGE_METHODS = new Set([
  "min",
  "max",
  "length",
  "regex",
  "refine",
  "int",
  "email",
  "url",
  "uuid",
  "nonempty",
  "positive",
  "nonnegative",
  "gt",
  "gte",
  "lt",
  "lte",
]);

/** The string-literal message arguments of a zod check call (not wrapped in errorTemplate). */
function bareZodMessages(node: ts.CallExpression): ts.Expression[] {
  if (!ts.isPropertyAccessExpression(node.expression)) return [];
  if (!ZOD_MESSAGE_METHODS.has(node.expression.name.text)) return [];
  return node.arguments.flatMap((arg) => {
    if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) return [arg];
    if (!ts.isObjectLiteralExpression(arg)) return [];
    return arg.properties.flatMap((p) =>
      ts.isPropertyAssignment(p) &&
      p.name.getText() === "message" &&
      (ts.isStringLiteral(p.initializer) || ts.isNoSubstitutionTemplateLiteral(p.initializer))
        ? [p.initializer]
        : [],
    );
  });
}

/** Every template in the code, and the sites whose template is not a literal. */
function extract(): { templates: Set<string>; problems: string[] } {
  const templates = new Set<string>();
  const problems: string[] = [];
  const roots = ["packages", "apps"].flatMap((top) =>
    readdirSync(path.join(ROOT, top))
      .map((name) => path.join(ROOT, top, name, "src"))
      .filter((dir) => {
        try {
          return readdirSync(dir).length > 0;
        } catch {
          return false;
        }
      }),
  );
  for (const file of roots.flatMap((dir) => sourceFiles(dir))) {
    const text = readFileSync(file, "utf8");
    const rel = path.relative(ROOT, file);
    const schemas =
      rel.startsWith("packages/") && !rel.startsWith("packages/config/") && text.includes("zod");
    if (!schemas && !text.includes("ParleyError(") && !text.includes("errorTemplate(")) continue;
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isNewExpression(node) && node.expression.getText(source) === "ParleyError") {
        const arg = node.arguments?.[1];
        const found = arg ? literalsOf(arg) : null;
        if (found) for (const t of found) templates.add(t);
        else if (!FORWARDERS.has(`${rel}: ${arg?.getText(source)}`)) {
          problems.push(`${rel}: new ParleyError(…, ${arg?.getText(source).slice(0, 80)})`);
        }
      }
      if (ts.isCallExpression(node) && node.expression.getText(source) === "errorTemplate") {
        const arg = node.arguments[0];
        const found = arg ? literalsOf(arg) : null;
        if (found) for (const t of found) templates.add(t);
        else if (!rel.endsWith("core/src/errors.ts"))
          problems.push(`${rel}: errorTemplate(${arg?.getText(source)})`);
      }
      if (schemas && ts.isCallExpression(node)) {
        for (const bare of bareZodMessages(node)) {
          problems.push(`${rel}: unmarked validation message ${bare.getText(source).slice(0, 80)}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { templates, problems };
}

const catalogs: Record<string, Record<string, string>> = { ar };
const { templates, problems } = extract();

describe("server-error catalogs", () => {
  it("finds the templates (the scan works)", () => {
    expect(templates.size).toBeGreaterThan(150);
    expect(templates).toContain("A channel named #{name} already exists");
    expect(templates).toContain("Conversation not found");
    // Validation messages of core's and protocol's schemas.
    expect(templates).toContain("must be a domain such as example.com");
    expect(templates).toContain("must be a UUID");
  });

  it("every template is a string literal (or a listed forwarder of marked ones)", () => {
    expect(problems).toEqual([]);
  });

  for (const [locale, catalog] of Object.entries(catalogs)) {
    it(`${locale}: translates every template the code sends`, () => {
      expect([...templates].filter((t) => !(t in catalog))).toEqual([]);
    });

    it(`${locale}: has no entry the code no longer sends`, () => {
      expect(Object.keys(catalog).filter((t) => !templates.has(t))).toEqual([]);
    });

    it(`${locale}: each translation parses and uses exactly the template's placeholders`, () => {
      const wrong: string[] = [];
      for (const [template, translated] of Object.entries(catalog)) {
        const english = new Set([...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
        let args: Set<string>;
        try {
          args = argumentsOf(parse(translated));
        } catch {
          wrong.push(`${template}: does not parse`);
          continue;
        }
        if (translated.trim() === "" || translated === template) wrong.push(`${template}: not translated`);
        if ([...english].sort().join() !== [...args].sort().join()) {
          wrong.push(`${template}: {${[...english].join(", ")}} ≠ {${[...args].join(", ")}}`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});

describe("translateError", () => {
  const conflict = {
    message: "A channel named #general already exists",
    data: { template: "A channel named #{name} already exists", params: { name: "general" } },
  };

  it("shows Arabic with the params filled in", () => {
    const text = translateError(ar, "ar", conflict);
    expect(text).toContain("#general");
    expect(text).toMatch(/[\u0600-\u06ff]/);
    expect(text).not.toContain("already exists");
  });

  it("chooses Arabic plural forms by a count param", () => {
    const window = (count: number, unit: string) =>
      translateError(ar, "ar", {
        message: "English",
        template: "Messages can only be edited within {count} {unit} of sending",
        params: { count, unit },
      });
    expect(window(15, "minutes")).toContain("15 دقيقة");
    expect(window(1, "hour")).toContain("ساعة واحدة");
    expect(window(2, "days")).toContain("يومين");
  });

  it("falls back to the server's English for an unknown template, and English stays English", () => {
    const unknown = { message: "Something new", data: { template: "Something {new}", params: { new: "x" } } };
    expect(translateError(ar, "ar", unknown)).toBe("Something new");
    expect(translateError(null, "en", conflict)).toBe("A channel named #general already exists");
  });

  it("uses the fallback for what is not an error with a message", () => {
    expect(translateError(ar, "ar", "boom", "تعذّر ذلك")).toBe("تعذّر ذلك");
    expect(translateError(ar, "ar", new Error("Failed to fetch"))).toBe("Failed to fetch");
  });
});

// The list to translate, when run with DUMP_TEMPLATES=1.
if (process.env.DUMP_TEMPLATES) console.log(JSON.stringify([...templates].sort(), null, 1));

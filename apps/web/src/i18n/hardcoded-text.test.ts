/**
 * No hard-coded user-visible English in the web client's components (issue 16): every .tsx file
 * under apps/web/src is parsed with TypeScript and these are flagged when they contain a letter:
 * - JSX text (`<p>Loading…</p>`);
 * - string literals given to user-visible attributes (aria-label, title, placeholder, alt, and the
 *   app's own `label`, `hint` and `submitLabel` props);
 * - string literals and template literals placed directly in a JSX expression (`{"Saving…"}`),
 *   also as a branch of `?:`, `??` or `||` there.
 * Ignored on purpose: text inside <kbd> and <code> (key names and code samples), strings without a
 * letter (emoji, "·", "—", digits), attributes that are not shown (className, href, id, type, …),
 * and the exceptions in ALLOWED (brand names and the like), each with its reason. Strings built in
 * plain code (error messages, helper functions) are outside what a scanner can judge; review
 * catches those. PENDING lists the files not converted yet: the test fails when one of them has
 * no finding left (take it off the list) and for any finding in a file not on it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const VISIBLE_ATTRIBUTES = new Set([
  "aria-label",
  "aria-description",
  "aria-valuetext",
  "aria-roledescription",
  "title",
  "placeholder",
  "alt",
  "label",
  "hint",
  "submitLabel",
]);

/** Elements whose text is not language: key caps and code. */
const SKIP_ELEMENTS = new Set(["kbd", "code", "pre"]);

/** "file: text" pairs that stay as they are, and why. */
const ALLOWED = new Map<string, string>([
  ["components/sidebar.tsx: Parley", "the product's name, until the workspace's has loaded"],
  ["app/setup/page.tsx: Parley", "the product's name (the auth pages' brand line)"],
  ["app/sign-in/page.tsx: Parley", "the product's name"],
  ["app/sign-up/page.tsx: Parley", "the product's name"],
  ["app/reset-password/page.tsx: Parley", "the product's name"],
  ["app/app/settings/integrations-admin.tsx: /deploy", "an example command, not language"],
  [
    "app/app/settings/integrations-admin.tsx: https://tools.example.com/slack/commands",
    "an example URL, not language",
  ],
]);

/** Files whose strings are not extracted yet (issue 16, in progress). */
const PENDING = new Set<string>([]);

const hasLetter = (text: string) => /\p{L}/u.test(text);

function tsxFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...tsxFiles(full));
    else if (name.endsWith(".tsx") && !name.endsWith(".test.tsx")) out.push(full);
  }
  return out;
}

function tagName(node: ts.Node): string | undefined {
  if (ts.isJsxElement(node)) return node.openingElement.tagName.getText();
  return undefined;
}

/** The hard-coded texts of one file. */
export function findLiterals(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const inSkipped = (node: ts.Node) => {
    for (let p: ts.Node | undefined = node.parent; p; p = p.parent) {
      const tag = tagName(p);
      if (tag && SKIP_ELEMENTS.has(tag)) return true;
    }
    return false;
  };
  const literalText = (expr: ts.Expression): string[] => {
    if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return [expr.text];
    if (ts.isTemplateExpression(expr)) {
      return [expr.head.text, ...expr.templateSpans.map((s) => s.literal.text)].filter(hasLetter);
    }
    if (ts.isParenthesizedExpression(expr)) return literalText(expr.expression);
    if (ts.isConditionalExpression(expr))
      return [...literalText(expr.whenTrue), ...literalText(expr.whenFalse)];
    if (
      ts.isBinaryExpression(expr) &&
      (expr.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
        expr.operatorToken.kind === ts.SyntaxKind.BarBarToken)
    ) {
      return literalText(expr.right);
    }
    return [];
  };
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node)) {
      const text = node.text.replace(/\s+/g, " ").trim();
      if (hasLetter(text) && !inSkipped(node)) found.push(text);
    } else if (ts.isJsxAttribute(node) && VISIBLE_ATTRIBUTES.has(node.name.getText()) && node.initializer) {
      const init = node.initializer;
      if (ts.isStringLiteral(init) && hasLetter(init.text)) found.push(init.text);
      if (ts.isJsxExpression(init) && init.expression)
        found.push(...literalText(init.expression).filter(hasLetter));
    } else if (ts.isJsxExpression(node) && node.expression && !ts.isJsxAttribute(node.parent)) {
      if (!inSkipped(node)) found.push(...literalText(node.expression).filter(hasLetter));
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe("hard-coded UI text", () => {
  const files = tsxFiles(SRC).map((f) => path.relative(SRC, f).split(path.sep).join("/"));
  const findings = new Map(
    files.map((f) => [
      f,
      findLiterals(f, readFileSync(path.join(SRC, f), "utf8")).filter(
        (text) => !ALLOWED.has(`${f}: ${text}`),
      ),
    ]),
  );

  it("the scanner sees JSX text, visible attributes and literals in expressions, not <kbd>", () => {
    const sample = `const A = () => (<div aria-label="Close" title={x ? "Open" : y}>
      Hello <kbd>Ctrl K</kbd> {"Saving…"} {n ?? "none"} {"·"} <b className="x">{t("ok")}</b></div>);`;
    expect(findLiterals("a.tsx", sample)).toEqual(["Close", "Open", "Hello", "Saving…", "none"]);
  });

  it("finds none outside the pending files", () => {
    const offenders = [...findings].filter(([f, texts]) => texts.length > 0 && !PENDING.has(f));
    expect(Object.fromEntries(offenders)).toEqual({});
  });

  it("lists as pending only files that still have some", () => {
    expect([...PENDING].filter((f) => (findings.get(f) ?? []).length === 0)).toEqual([]);
  });
});

/**
 * The tree's structural rules (issue 11), checked on every test run:
 * - no source file under apps/ or packages/ over 500 lines (tests, test/ folders, generated code
 *   and type declarations aside);
 * - no import cycle between source files (every import counts, `import type` too: a cycle of
 *   types is still two files that cannot be understood one without the other);
 * - every source path ARCHITECTURE.md names exists (the map does not rot when files move).
 * Imports are read with TypeScript's own pre-processor; `@parley/<pkg>[/sub]` resolves through the
 * package's `exports`, `~/…` is apps/web's alias for its src/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MAX_LINES = 500;
const SKIP_DIRS = new Set(["node_modules", ".next", "dist", "generated", "test", ".turbo", "public"]);

/** Source files (repo-relative) under apps/ and packages/. */
function sourceFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(root, dir))) {
      const rel = path.join(dir, name);
      if (statSync(path.join(root, rel)).isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(rel);
      } else if (/\.(ts|tsx|mts)$/.test(name) && !/\.test\.tsx?$|\.d\.ts$/.test(name)) {
        found.push(rel);
      }
    }
  };
  walk("apps");
  walk("packages");
  return found.sort();
}

/** `@parley/<name>` → its folder and `exports` map. */
function workspacePackages(): Map<string, { dir: string; exports: Record<string, string> }> {
  const packages = new Map<string, { dir: string; exports: Record<string, string> }>();
  for (const dir of readdirSync(path.join(root, "packages")).map((name) => `packages/${name}`)) {
    const file = path.join(root, dir, "package.json");
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, "utf8")) as { name: string; exports?: unknown };
    const exports = typeof json.exports === "string" ? { ".": json.exports } : (json.exports ?? {});
    packages.set(json.name, { dir, exports: exports as Record<string, string> });
  }
  return packages;
}

const EXTENSIONS = ["", ".ts", ".tsx", "/index.ts", "/index.tsx"];

function resolveFile(candidate: string, files: Set<string>): string | undefined {
  for (const ext of EXTENSIONS) {
    const rel = path.normalize(candidate + ext);
    if (files.has(rel)) return rel;
    // `./x.js` written for `./x.ts`
    const swapped = rel.replace(/\.js$/, ".ts");
    if (files.has(swapped)) return swapped;
  }
  return undefined;
}

/** The source file an import names, or undefined for third-party modules. */
function resolveImport(
  from: string,
  specifier: string,
  files: Set<string>,
  packages: ReturnType<typeof workspacePackages>,
): string | undefined {
  if (specifier.startsWith(".")) return resolveFile(path.join(path.dirname(from), specifier), files);
  if (specifier.startsWith("~/")) return resolveFile(path.join("apps/web/src", specifier.slice(2)), files);
  const match = /^(@parley\/[^/]+)(\/.*)?$/.exec(specifier);
  const pkg = match ? packages.get(match[1]!) : undefined;
  if (!match || !pkg) return undefined;
  const sub = `.${match[2] ?? ""}`;
  for (const [key, target] of Object.entries(pkg.exports)) {
    const star = key.indexOf("*");
    if (star < 0 ? key !== sub : !(sub.startsWith(key.slice(0, star)) && sub.endsWith(key.slice(star + 1))))
      continue;
    const filled =
      star < 0 ? target : target.replace("*", sub.slice(star, sub.length - (key.length - star - 1)));
    return resolveFile(path.join(pkg.dir, filled), files);
  }
  return undefined;
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** The import graph of `files` (only edges between them). */
function importGraph(files: string[]): Map<string, string[]> {
  const set = new Set(files);
  const packages = workspacePackages();
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(path.join(root, file), "utf8"), true, true);
    const targets = info.importedFiles
      .map((ref) => resolveImport(file, ref.fileName, set, packages))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

describe("the tree's structure", () => {
  const files = sourceFiles();

  it("finds the sources (the walk itself works)", () => {
    expect(files).toContain("packages/core/src/engine/redis.ts");
    expect(files).toContain("apps/web/src/components/app-shell.tsx");
    expect(files.some((file) => file.includes("/test/") || file.endsWith(".test.ts"))).toBe(false);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const long = files
      .map((file) => ({ file, lines: readFileSync(path.join(root, file), "utf8").split("\n").length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ file, lines }) => `${file}: ${lines}`);
    expect(long).toEqual([]);
  });

  it("has no import cycle between source files", () => {
    expect(cycles(importGraph(files))).toEqual([]);
  });

  it("resolves workspace imports, so a cycle through a package's entry point is seen", () => {
    const graph = importGraph(files);
    // The realtime app reaches the gateway package only through `@parley/gateway`.
    const realtime = files.find((file) => file.startsWith("apps/realtime/"))!;
    const reachable = new Set<string>();
    const walk = (file: string) => {
      if (reachable.has(file)) return;
      reachable.add(file);
      for (const next of graph.get(file) ?? []) walk(next);
    };
    walk(realtime);
    expect(reachable.has("packages/gateway/src/index.ts")).toBe(true);
  });

  it("detects a cycle (control)", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    expect(cycles(graph)).toEqual([["a.ts", "b.ts", "c.ts"]]);
  });

  it("refetches the web app's queries only through refetchFresh (apps/web/src/lib/refetch.ts)", () => {
    // invalidateQueries alone joins a query's first fetch still in flight and keeps its stale answer.
    const direct = files.filter(
      (file) =>
        file.startsWith("apps/web/src/") &&
        file !== "apps/web/src/lib/refetch.ts" &&
        /\.invalidateQueries\(/.test(readFileSync(path.join(root, file), "utf8")),
    );
    expect(direct).toEqual([]);
  });

  it("shows field errors only through useFieldError (apps/web/src/i18n/server-errors.ts)", () => {
    // A bare fieldError(error, field) shows the server's English to every user.
    const bare = files.filter(
      (file) =>
        file.startsWith("apps/web/src/") &&
        !/\.test\.tsx?$/.test(file) &&
        file !== "apps/web/src/i18n/server-errors.ts" &&
        /import \{[^}]*\bfieldError\b[^}]*\} from "~\/lib\/field-errors"/.test(
          readFileSync(path.join(root, file), "utf8"),
        ),
    );
    expect(bare).toEqual([]);
  });

  it("names only source paths that exist in ARCHITECTURE.md", () => {
    const text = readFileSync(path.join(root, "ARCHITECTURE.md"), "utf8");
    const named = [...text.matchAll(/`([\w@./~[\]-]+\.(?:ts|tsx|mjs))`/g)].map((m) => m[1]!);
    const all = [...sourceFiles(), ...allOtherFiles()];
    // `core/files.ts` is short for packages/core/src/files.ts; other names may be any path's tail.
    const short = (name: string) => name.replace(/^([a-z]+)\//, "packages/$1/src/");
    const missing = [...new Set(named)].filter(
      (name) =>
        !all.some(
          (file) => file === name || file === short(name) || file.endsWith(`/${name.replace(/^\.?\//, "")}`),
        ),
    );
    expect(missing).toEqual([]);
  });
});

/** Tests, scripts, e2e and bench files: ARCHITECTURE.md may name those too. */
function allOtherFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(path.join(root, dir))) return;
    for (const name of readdirSync(path.join(root, dir))) {
      const rel = path.join(dir, name);
      if (statSync(path.join(root, rel)).isDirectory()) {
        if (!["node_modules", ".next", "dist", ".turbo"].includes(name)) walk(rel);
      } else if (/\.(ts|tsx|mjs)$/.test(name)) found.push(rel);
    }
  };
  for (const dir of ["apps", "packages", "scripts", "e2e", "bench", "prisma"]) walk(dir);
  for (const name of readdirSync(root)) if (/\.(ts|mjs)$/.test(name)) found.push(name);
  return found;
}

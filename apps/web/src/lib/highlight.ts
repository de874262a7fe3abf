/**
 * Syntax highlighting for fenced code blocks, loaded only when a block with a known language is
 * shown: nothing here is in the first-load bundle. `import()` of shiki's core, its JavaScript
 * regex engine (no WebAssembly, so the CSP needs no 'wasm-unsafe-eval'), two themes and each
 * grammar on first use; one highlighter per tab. The output is a hast tree (rendered as React
 * elements by the caller, never as an HTML string) whose tokens carry `style="--shiki-light:…;
 * --shiki-dark:…"`; globals.css picks the variable for the colour scheme. Style attributes are
 * allowed by the CSP (`style-src-attr 'unsafe-inline'`, server/security-headers.ts); no <style>
 * element is made. To support another language, add it to LANGUAGES (and its aliases to ALIASES).
 */
import type { HighlighterCore, LanguageRegistration } from "shiki/core";

/** The hast tree shiki makes. */
export type THighlighted = Awaited<ReturnType<HighlighterCore["codeToHast"]>>;

type TGrammar = { default: LanguageRegistration[] };

/** The languages we highlight (each loads on first use). */
const LANGUAGES: Record<string, () => Promise<TGrammar>> = {
  bash: () => import("shiki/langs/bash.mjs"),
  c: () => import("shiki/langs/c.mjs"),
  cpp: () => import("shiki/langs/cpp.mjs"),
  csharp: () => import("shiki/langs/csharp.mjs"),
  css: () => import("shiki/langs/css.mjs"),
  diff: () => import("shiki/langs/diff.mjs"),
  dockerfile: () => import("shiki/langs/dockerfile.mjs"),
  go: () => import("shiki/langs/go.mjs"),
  html: () => import("shiki/langs/html.mjs"),
  java: () => import("shiki/langs/java.mjs"),
  javascript: () => import("shiki/langs/javascript.mjs"),
  json: () => import("shiki/langs/json.mjs"),
  jsx: () => import("shiki/langs/jsx.mjs"),
  kotlin: () => import("shiki/langs/kotlin.mjs"),
  markdown: () => import("shiki/langs/markdown.mjs"),
  php: () => import("shiki/langs/php.mjs"),
  python: () => import("shiki/langs/python.mjs"),
  ruby: () => import("shiki/langs/ruby.mjs"),
  rust: () => import("shiki/langs/rust.mjs"),
  sql: () => import("shiki/langs/sql.mjs"),
  swift: () => import("shiki/langs/swift.mjs"),
  toml: () => import("shiki/langs/toml.mjs"),
  tsx: () => import("shiki/langs/tsx.mjs"),
  typescript: () => import("shiki/langs/typescript.mjs"),
  xml: () => import("shiki/langs/xml.mjs"),
  yaml: () => import("shiki/langs/yaml.mjs"),
};

const ALIASES: Record<string, string> = {
  sh: "bash",
  shell: "bash",
  zsh: "bash",
  "c++": "cpp",
  cs: "csharp",
  docker: "dockerfile",
  golang: "go",
  js: "javascript",
  mjs: "javascript",
  kt: "kotlin",
  md: "markdown",
  py: "python",
  rb: "ruby",
  rs: "rust",
  ts: "typescript",
  yml: "yaml",
};

/** The grammar name for a fence's info string (`ts`, `TypeScript`…), or null when we have none. */
export function languageOf(info: string | undefined): string | null {
  if (!info) return null;
  const name = info.trim().toLowerCase();
  const resolved = ALIASES[name] ?? name;
  return Object.hasOwn(LANGUAGES, resolved) ? resolved : null;
}

let highlighter: Promise<HighlighterCore> | null = null;
const loading = new Map<string, Promise<void>>();

function getHighlighter(): Promise<HighlighterCore> {
  highlighter ??= (async () => {
    const [{ createHighlighterCore }, { createJavaScriptRegexEngine }, light, dark] = await Promise.all([
      import("shiki/core"),
      import("shiki/engine/javascript"),
      import("shiki/themes/github-light.mjs"),
      import("shiki/themes/github-dark.mjs"),
    ]);
    return createHighlighterCore({
      themes: [light.default, dark.default],
      langs: [],
      engine: createJavaScriptRegexEngine(),
    });
  })();
  return highlighter;
}

/** The code as a highlighted hast tree (`<pre class="shiki">…`), for a language `languageOf` gave. */
export async function highlightToHast(code: string, language: string): Promise<THighlighted> {
  const hl = await getHighlighter();
  let loaded = loading.get(language);
  if (!loaded) {
    const load = LANGUAGES[language];
    if (!load) throw new Error(`no grammar for ${language}`);
    loaded = load().then((grammar) => hl.loadLanguage(...grammar.default));
    loading.set(language, loaded);
  }
  await loaded;
  return hl.codeToHast(code, {
    lang: language,
    themes: { light: "github-light", dark: "github-dark" },
    defaultColor: false,
  });
}

/**
 * A link preview's fields from a page's HTML: OpenGraph (`og:title`, `og:description`,
 * `og:image`, `og:site_name`), then Twitter cards (`twitter:title` …), then `<title>` and
 * `<meta name="description">`. Parsed with htmlparser2 (a streaming tokenizer, no DOM, no
 * scripts), stopping at `</head>` or `<body>`. Text is entity-decoded, whitespace-collapsed and cut to
 * a length; the image becomes an absolute http(s) URL against the page's final URL, or nothing.
 * To read another field, add its meta names to FIELDS.
 */
import { Parser } from "htmlparser2";

/** What a preview shows (all optional: a page may have none of them). */
export type TPageMetadata = {
  title: string | null;
  description: string | null;
  imageUrl: string | null;
  siteName: string | null;
};

/** Longest text kept per field (characters). */
export const METADATA_LIMITS = { title: 200, description: 400, siteName: 100, imageUrl: 2_000 } as const;

/** Meta names per field, best first. */
const FIELDS = {
  title: ["og:title", "twitter:title"],
  description: ["og:description", "twitter:description", "description"],
  imageUrl: ["og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"],
  siteName: ["og:site_name"],
} as const satisfies Record<keyof TPageMetadata, readonly string[]>;

function clean(text: string | undefined, max: number): string | null {
  if (!text) return null;
  const collapsed = text.replace(/\s+/g, " ").trim();
  if (!collapsed) return null;
  return collapsed.length > max ? `${collapsed.slice(0, max - 1)}…` : collapsed;
}

/** An absolute http(s) URL for `ref` against `base`, or null (data:, javascript:, garbage). */
function absoluteHttpUrl(ref: string | undefined, base: string): string | null {
  if (!ref) return null;
  try {
    const url = new URL(ref.trim(), base);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    const href = url.toString();
    return href.length > METADATA_LIMITS.imageUrl ? null : href;
  } catch {
    return null;
  }
}

/** Extracts the preview fields from (the start of) an HTML document fetched from `pageUrl`. */
export function extractMetadata(html: string, pageUrl: string): TPageMetadata {
  const metas = new Map<string, string>();
  let title = "";
  let isInTitle = false;
  let isDone = false;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (isDone) return;
        if (name === "body") {
          isDone = true;
          return;
        }
        if (name === "title") isInTitle = true;
        if (name === "meta") {
          const key = (attrs.property ?? attrs.name ?? "").trim().toLowerCase();
          // First one wins (og:image may repeat; the first is the page's main image).
          if (key && attrs.content !== undefined && !metas.has(key)) metas.set(key, attrs.content);
        }
      },
      ontext(text) {
        if (isInTitle && !isDone) title += text;
      },
      onclosetag(name) {
        if (name === "title") isInTitle = false;
        if (name === "head") isDone = true;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  const pick = (names: readonly string[]) => names.map((n) => metas.get(n)).find((v) => v?.trim());
  return {
    title: clean(pick(FIELDS.title) ?? title, METADATA_LIMITS.title),
    description: clean(pick(FIELDS.description), METADATA_LIMITS.description),
    imageUrl: absoluteHttpUrl(pick(FIELDS.imageUrl), pageUrl),
    siteName: clean(pick(FIELDS.siteName), METADATA_LIMITS.siteName),
  };
}

/** The first http(s) URL in a message body (markdown's `<…>`, `(…)` and trailing punctuation trimmed), or null. */
export function firstUrl(body: string): string | null {
  for (const match of body.matchAll(/https?:\/\/[^\s<>"'`]+/gi)) {
    let candidate = match[0].replace(/[.,;:!?*_~]+$/, "");
    // A URL closing a markdown link or a parenthesis: drop unbalanced closing parentheses.
    while (candidate.endsWith(")") && count(candidate, "(") < count(candidate, ")")) {
      candidate = candidate.slice(0, -1);
    }
    try {
      const url = new URL(candidate);
      if (url.protocol === "http:" || url.protocol === "https:") return url.toString();
    } catch {
      // not a URL after all; try the next one
    }
  }
  return null;
}

function count(text: string, ch: string): number {
  return text.split(ch).length - 1;
}

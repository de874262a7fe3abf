"use client";

/**
 * A message body as safe markdown (GFM: bold, italic, ~~strike~~, `code`, fenced code, links,
 * quotes, lists). Raw HTML is never rendered: without rehype-raw, react-markdown turns it into
 * plain text, so `<script>` or `<img onerror>` in a message shows as what was typed. Only the
 * elements in ALLOWED exist in the output (others are unwrapped to their text, e.g. headings and
 * images), and only http(s)/mailto URLs become links, opened in a new tab without referrer.
 * To support another element, add it to ALLOWED and style it under `.md` in globals.css.
 *
 * Mention tokens (`<@userId>`, `<!channel>`, see @parley/protocol) show as "@Name" pills: before
 * parsing they are swapped for private-use markers that markdown reads as plain text (`<!here>`
 * would otherwise start an HTML block), then `remarkMentions` turns the markers in text into
 * `span.mention` elements (the only spans in the output) and puts the tokens back inside code.
 */
import { BROADCAST_MENTIONS, MENTION_TOKEN_RE } from "@parley/protocol";
import { memo, useMemo } from "react";
import Markdown, { type Components, type Options } from "react-markdown";
import remarkGfm from "remark-gfm";
import "../styles/composer.css";

const ALLOWED = [
  "p",
  "br",
  "strong",
  "em",
  "del",
  "code",
  "pre",
  "a",
  "blockquote",
  "ul",
  "ol",
  "li",
  "span",
];
const SAFE_PROTOCOL = /^(https?:|mailto:)/i;

/** Keeps http, https and mailto URLs; anything else (javascript:, data:, relative) is dropped. */
export function safeUrl(url: string): string {
  return SAFE_PROTOCOL.test(url.trim()) ? url.trim() : "";
}

const components: Components = {
  a: ({ href, children }) =>
    href ? (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
};

const OPEN = "\uE000";
const CLOSE = "\uE001";
const MARKER_RE = /\uE000([@!])([^\uE000\uE001]+)\uE001/g;

/** Swaps mention tokens for markers markdown leaves alone (see the file header). */
function markMentions(text: string): string {
  return text
    .replace(/[\uE000\uE001]/g, "")
    .replace(MENTION_TOKEN_RE, (_whole, userId: string | undefined, broadcast: string | undefined) =>
      userId ? `${OPEN}@${userId.toLowerCase()}${CLOSE}` : `${OPEN}!${broadcast}${CLOSE}`,
    );
}

/** Who the reader is and what members are called, for mention pills. */
type TMentionContext = { names?: ReadonlyMap<string, string>; meId?: string };

/** The small part of mdast this plugin touches. */
type TNode = { type: string; value?: string; children?: TNode[]; data?: Record<string, unknown> };

function pill(sigil: string, ref: string, ctx: TMentionContext): TNode {
  const isBroadcast = sigil === "!" && (BROADCAST_MENTIONS as readonly string[]).includes(ref);
  const name = isBroadcast ? ref : ctx.names?.get(ref);
  const className = ["mention"];
  if (isBroadcast || (ctx.meId && ref === ctx.meId.toLowerCase())) className.push("mention-me");
  if (!name) className.push("mention-unknown");
  return {
    type: "text",
    value: `@${name ?? "unknown user"}`,
    data: { hName: "span", hProperties: { className, dataMention: isBroadcast ? ref : "user" } },
  };
}

function splitMarkers(value: string, ctx: TMentionContext): TNode[] {
  const out: TNode[] = [];
  let last = 0;
  for (const match of value.matchAll(MARKER_RE)) {
    const start = match.index ?? 0;
    if (start > last) out.push({ type: "text", value: value.slice(last, start) });
    out.push(pill(match[1] ?? "@", match[2] ?? "", ctx));
    last = start + match[0].length;
  }
  if (last < value.length) out.push({ type: "text", value: value.slice(last) });
  return out;
}

function restoreTokens(value: string): string {
  return value.replace(MARKER_RE, (_whole, sigil: string, ref: string) => `<${sigil}${ref}>`);
}

function visit(node: TNode, ctx: TMentionContext): void {
  if (!node.children) return;
  node.children = node.children.flatMap((child) => {
    if (child.type === "text" && child.value?.includes(OPEN)) return splitMarkers(child.value, ctx);
    if (typeof child.value === "string" && child.value.includes(OPEN)) {
      return [{ ...child, value: restoreTokens(child.value) }]; // code, inline code, raw HTML
    }
    visit(child, ctx);
    return [child];
  });
}

/** remark plugin: mention markers in text become pills (see the file header). */
function remarkMentions(ctx: TMentionContext) {
  return (tree: TNode) => visit(tree, ctx);
}

/**
 * Renders one message's markdown body safely (see the file header). With `names` (user id →
 * name) and `meId`, mentions show the member's name and highlight mentions of the reader.
 */
export const MessageBody = memo(function MessageBody({
  text,
  names,
  meId,
}: {
  text: string;
  names?: ReadonlyMap<string, string>;
  meId?: string;
}) {
  const plugins = useMemo(
    (): Options["remarkPlugins"] => [remarkGfm, [remarkMentions, { names, meId }]],
    [names, meId],
  );
  return (
    <div className="md">
      <Markdown
        remarkPlugins={plugins}
        allowedElements={ALLOWED}
        unwrapDisallowed
        urlTransform={safeUrl}
        components={components}
      >
        {markMentions(text)}
      </Markdown>
    </div>
  );
});

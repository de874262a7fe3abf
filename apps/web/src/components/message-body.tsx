"use client";

/**
 * A message body as safe markdown (GFM: bold, italic, ~~strike~~, `code`, fenced code, links,
 * quotes, lists). Raw HTML is never rendered: without rehype-raw, react-markdown turns it into
 * plain text, so `<script>` or `<img onerror>` in a message shows as what was typed. Only the
 * elements in ALLOWED exist in the output (others are unwrapped to their text, e.g. headings and
 * images), and only http(s)/mailto URLs become links, opened in a new tab without referrer.
 * To support another element, add it to ALLOWED and style it under `.md` in globals.css.
 */
import { memo } from "react";
import Markdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";

const ALLOWED = ["p", "br", "strong", "em", "del", "code", "pre", "a", "blockquote", "ul", "ol", "li"];
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

/** Renders one message's markdown body safely (see the file header). */
export const MessageBody = memo(function MessageBody({ text }: { text: string }) {
  return (
    <div className="md">
      <Markdown
        remarkPlugins={[remarkGfm]}
        allowedElements={ALLOWED}
        unwrapDisallowed
        urlTransform={safeUrl}
        components={components}
      >
        {text}
      </Markdown>
    </div>
  );
});

"use client";

/**
 * A message body as safe markdown (GFM: bold, italic, ~~strike~~, `code`, fenced code, links,
 * quotes, lists, task lists). Fenced code goes through CodeBlock (highlighted lazily, collapsed
 * when long); a task list item's checkbox is shown read-only (disabled: ticking it would change
 * nothing anyone else sees). Raw HTML is never rendered: without rehype-raw, react-markdown turns it into
 * plain text, so `<script>` or `<img onerror>` in a message shows as what was typed. Only the
 * elements in ALLOWED exist in the output (others are unwrapped to their text, e.g. headings and
 * images), and only http(s)/mailto URLs become links, opened in a new tab without referrer.
 * To support another element, add it to ALLOWED and style it under `.md` in globals.css.
 *
 * Mention tokens (`<@userId>`, `<!channel>`, `<!subteam^groupId>`, see @parley/protocol) show as
 * "@Name" (or "@handle") pills: before
 * parsing they are swapped for private-use markers that markdown reads as plain text (`<!here>`
 * would otherwise start an HTML block), then `remarkMentions` turns the markers in text into
 * `span.mention` elements and puts the tokens back inside code. The same plugin shows a custom
 * emoji's `:name:` in text as its image (a `span` marked `data-emoji-id` that `components.span`
 * draws as an `<img>` of our own route: markdown images stay disallowed); code keeps the text.
 */
import { BROADCAST_MENTIONS, MENTION_TOKEN_RE, parseMentions } from "@parley/protocol";
import { useTranslations } from "next-intl";
import { memo, useEffect, useMemo } from "react";
import Markdown, { type Components, type Options } from "react-markdown";
import remarkGfm from "remark-gfm";
import { customEmojiUrl } from "~/lib/custom-emoji";
import { type TMentionGroup, useWorkspaceExtras } from "~/lib/workspace-extras";
import { CodeBlock } from "./code-block";
import { CustomEmojiImage } from "./emoji-glyph";
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
  "input",
];
const SAFE_PROTOCOL = /^(https?:|mailto:)/i;

/** Keeps http, https and mailto URLs; anything else (javascript:, data:, relative) is dropped. */
/** A GFM task list item's box: read-only, named by its state. */
function TaskBox({ checked }: { checked: boolean }) {
  const t = useTranslations("Message");
  return (
    <input
      type="checkbox"
      checked={checked}
      disabled
      readOnly
      aria-label={checked ? t("done") : t("notDone")}
    />
  );
}

export function safeUrl(url: string): string {
  return SAFE_PROTOCOL.test(url.trim()) ? url.trim() : "";
}

/** The small part of hast `components.pre` reads. */
type THastNode = {
  type: string;
  tagName?: string;
  value?: string;
  properties?: Record<string, unknown>;
  children?: THastNode[];
};

function textOf(node: THastNode): string {
  return node.type === "text" ? (node.value ?? "") : (node.children ?? []).map(textOf).join("");
}

const components: Components = {
  pre: ({ node }) => {
    const code = (node?.children as THastNode[] | undefined)?.find((c) => c.tagName === "code");
    const classes = code?.properties?.className;
    const info = (Array.isArray(classes) ? classes : [])
      .map(String)
      .find((c) => c.startsWith("language-"))
      ?.slice("language-".length);
    return <CodeBlock info={info} code={code ? textOf(code).replace(/\n$/, "") : ""} />;
  },
  // Only GFM task list items make inputs (raw HTML is text): a read-only checkbox.
  input: ({ type, checked }) => (type === "checkbox" ? <TaskBox checked={Boolean(checked)} /> : null),
  span: ({ node: _node, children, ...props }) => {
    const emojiId = (props as Record<string, unknown>)["data-emoji-id"];
    if (typeof emojiId === "string") {
      const code = String((props as Record<string, unknown>)["data-emoji"] ?? "");
      return <CustomEmojiImage src={customEmojiUrl(emojiId)} alt={code} />;
    }
    return <span {...props}>{children}</span>;
  },
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
const MARKER_RE = /\uE000([@!^])([^\uE000\uE001]+)\uE001/g;
/** A custom emoji's `:name:` in text. */
const EMOJI_CODE_RE = /:([a-z0-9_-]{1,64}):/g;

/** Swaps mention tokens for markers markdown leaves alone (see the file header). */
function markMentions(text: string): string {
  return text
    .replace(/[\uE000\uE001]/g, "")
    .replace(
      MENTION_TOKEN_RE,
      (_whole, userId: string | undefined, broadcast: string | undefined, groupId: string | undefined) =>
        userId
          ? `${OPEN}@${userId.toLowerCase()}${CLOSE}`
          : groupId
            ? `${OPEN}^${groupId.toLowerCase()}${CLOSE}`
            : `${OPEN}!${broadcast}${CLOSE}`,
    );
}

/** Who the reader is, what members are called, the user groups and custom emoji (name → id). */
type TMentionContext = {
  names?: ReadonlyMap<string, string>;
  meId?: string;
  groups?: ReadonlyMap<string, TMentionGroup>;
  emoji?: ReadonlyMap<string, string>;
};

/** The small part of mdast this plugin touches. */
type TNode = { type: string; value?: string; children?: TNode[]; data?: Record<string, unknown> };

function groupPill(ref: string, ctx: TMentionContext): TNode {
  const group = ctx.groups?.get(ref);
  const className = ["mention", "mention-group"];
  if (group && ctx.meId && group.memberIds.includes(ctx.meId.toLowerCase())) className.push("mention-me");
  if (!group) className.push("mention-unknown");
  return {
    type: "text",
    value: `@${group?.handle ?? "unknown group"}`,
    data: { hName: "span", hProperties: { className, dataMention: "group" } },
  };
}

function pill(sigil: string, ref: string, ctx: TMentionContext): TNode {
  if (sigil === "^") return groupPill(ref, ctx);
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
  return value.replace(MARKER_RE, (_whole, sigil: string, ref: string) =>
    sigil === "^" ? `<!subteam^${ref}>` : `<${sigil}${ref}>`,
  );
}

/** Custom emoji codes in a text node become image spans (unknown names stay text). */
function splitEmoji(node: TNode, ctx: TMentionContext): TNode[] {
  const value = node.value ?? "";
  if (!ctx.emoji?.size || !value.includes(":")) return [node];
  const out: TNode[] = [];
  let last = 0;
  for (const match of value.matchAll(EMOJI_CODE_RE)) {
    const id = ctx.emoji.get(match[1] ?? "");
    if (!id) continue;
    const start = match.index ?? 0;
    if (start > last) out.push({ type: "text", value: value.slice(last, start) });
    out.push({
      type: "text",
      value: match[0],
      data: { hName: "span", hProperties: { dataEmojiId: id, dataEmoji: match[0] } },
    });
    last = start + match[0].length;
  }
  if (out.length === 0) return [node];
  if (last < value.length) out.push({ type: "text", value: value.slice(last) });
  return out;
}

function visit(node: TNode, ctx: TMentionContext): void {
  if (!node.children) return;
  node.children = node.children.flatMap((child) => {
    if (child.type === "text" && child.value?.includes(OPEN)) {
      return splitMarkers(child.value, ctx).flatMap((n) => (n.data ? [n] : splitEmoji(n, ctx)));
    }
    if (child.type === "text") return splitEmoji(child, ctx);
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
  const { groupsById: groups, emojiByName: emoji, requestGroups } = useWorkspaceExtras();
  // A group this tab has not loaded (made since it opened): ask for the list again.
  useEffect(() => {
    if (parseMentions(text).groupIds.some((id) => !groups.has(id))) requestGroups();
  }, [text, groups, requestGroups]);
  const plugins = useMemo(
    (): Options["remarkPlugins"] => [remarkGfm, [remarkMentions, { names, meId, groups, emoji }]],
    [names, meId, groups, emoji],
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

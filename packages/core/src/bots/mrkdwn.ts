/**
 * Slack's text formats → Parley's message markdown (GFM, components/message-body.tsx), pure.
 *
 * mrkdwn: `*bold*` → `**bold**`, `_italic_` stays (GFM reads it as emphasis), `~strike~` →
 * `~~strike~~`, `<url|label>` → `[label](url)`, `<url>` → the URL, `<#C…|name>` → `#name`,
 * `<!date^…|fallback>` → the fallback, `&amp; &lt; &gt;` unescaped. Mentions (`<@U…>`,
 * `<!here|channel|everyone>`, `<!subteam^…>`) are Parley's own tokens and stay as they are. Code
 * spans and fenced blocks are copied untouched. `blocks` become text: a section per block
 * (header as bold, section/context text and fields, rich_text's plain text, divider as `---`);
 * image and interactive blocks have no text form and are left out (docs/integrations.md).
 */

/** Converts one run of mrkdwn outside code. */
function convertInline(text: string): string {
  return (
    text
      // Links, channel references and dates first: their labels may hold * _ ~.
      .replace(/<([^<>\s|]+)(?:\|([^<>]*))?>/g, (whole, target: string, label: string | undefined) => {
        if (target.startsWith("@") || (target.startsWith("!") && !target.startsWith("!date^"))) {
          return whole; // a mention token (user, broadcast, user group): Parley's own syntax
        }
        if (target.startsWith("#")) return `#${label ?? target.slice(1)}`;
        if (target.startsWith("!date^")) return label ?? "";
        if (/^(https?:|mailto:)/i.test(target)) return label ? `[${label}](${target})` : target;
        return whole;
      })
      .replace(/(^|[\s(>])\*([^*\n]+?)\*(?=$|[\s).,;:!?<])/g, "$1**$2**")
      .replace(/(^|[\s(>])~([^~\n]+?)~(?=$|[\s).,;:!?<])/g, "$1~~$2~~")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&")
  );
}

/** Slack mrkdwn → Parley markdown (see the header). */
export function mrkdwnToMarkdown(text: string): string {
  // Fenced blocks and code spans pass through; everything between them is converted.
  const parts = text.split(/(```[\s\S]*?```|`[^`\n]+`)/g);
  return parts.map((part, i) => (i % 2 === 1 ? part : convertInline(part))).join("");
}

type TTextObject = { type?: unknown; text?: unknown };
type TBlock = {
  type?: unknown;
  text?: TTextObject;
  fields?: TTextObject[];
  elements?: unknown[];
};

/** A text object's text, converted when it is mrkdwn. */
function textOf(obj: TTextObject | undefined): string {
  if (!obj || typeof obj.text !== "string") return "";
  return obj.type === "mrkdwn" ? mrkdwnToMarkdown(obj.text) : obj.text;
}

/** Plain text of rich_text elements (nested sections, lists, quotes, preformatted). */
function richText(elements: unknown[] | undefined): string {
  if (!Array.isArray(elements)) return "";
  return elements
    .map((el) => {
      if (typeof el !== "object" || el === null) return "";
      const e = el as {
        type?: unknown;
        text?: unknown;
        url?: unknown;
        user_id?: unknown;
        elements?: unknown[];
      };
      if (e.type === "text" && typeof e.text === "string") return e.text;
      if (e.type === "link" && typeof e.url === "string")
        return typeof e.text === "string" ? `[${e.text}](${e.url})` : e.url;
      if (e.type === "user" && typeof e.user_id === "string") return `<@${e.user_id}>`;
      if (e.type === "emoji") return `:${String((e as { name?: unknown }).name ?? "")}:`;
      if (e.type === "rich_text_preformatted") return `\n\`\`\`\n${richText(e.elements)}\n\`\`\`\n`;
      if (e.type === "rich_text_list") return `\n${richText(e.elements)}\n`;
      return richText(e.elements);
    })
    .join("");
}

/** Slack `blocks` as text sections, one per block with text (see the header); "" when none has. */
export function blocksToMarkdown(blocks: unknown): string {
  if (!Array.isArray(blocks)) return "";
  const sections: string[] = [];
  for (const raw of blocks) {
    if (typeof raw !== "object" || raw === null) continue;
    const block = raw as TBlock;
    switch (block.type) {
      case "header":
        sections.push(`**${textOf(block.text)}**`);
        break;
      case "section": {
        const lines = [textOf(block.text), ...(block.fields ?? []).map(textOf)].filter((l) => l !== "");
        if (lines.length > 0) sections.push(lines.join("\n"));
        break;
      }
      case "context": {
        const texts = (block.elements ?? []).map((e) => textOf(e as TTextObject)).filter((t) => t !== "");
        if (texts.length > 0) sections.push(texts.join(" "));
        break;
      }
      case "divider":
        sections.push("---");
        break;
      case "rich_text": {
        const text = richText(block.elements).trim();
        if (text !== "") sections.push(text);
        break;
      }
      default:
        break;
    }
  }
  return sections.join("\n\n");
}

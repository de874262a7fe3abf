import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { MessageBody, safeUrl } from "./message-body";

const html = (text: string) => renderToStaticMarkup(createElement(MessageBody, { text }));

describe("MessageBody", () => {
  it("renders bold, italic, strike, code, quotes and lists", () => {
    const out = html("**b** _i_ ~~s~~ `c`\n\n> q\n\n- one\n- two\n\n```\nblock\n```");
    expect(out).toContain("<strong>b</strong>");
    expect(out).toContain("<em>i</em>");
    expect(out).toContain("<del>s</del>");
    expect(out).toContain("<code>c</code>");
    expect(out).toContain("<blockquote>");
    expect(out).toContain("<li>one</li>");
    expect(out).toContain("<pre><code>block\n</code></pre>");
  });

  it("shows raw HTML as text instead of rendering it", () => {
    const out = html("<script>alert(1)</script> <img src=x onerror=alert(1)>");
    expect(out).not.toContain("<script");
    expect(out).not.toContain("<img");
    expect(out).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(out).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("links only http, https and mailto URLs, in a new tab without referrer", () => {
    const out = html("[ok](https://example.com) [bad](javascript:alert(1)) ![img](https://x/y.png)");
    expect(out).toContain(
      '<a href="https://example.com" target="_blank" rel="noopener noreferrer nofollow">ok</a>',
    );
    expect(out).not.toContain("javascript:");
    expect(out).not.toContain("<img");
    expect(safeUrl("mailto:a@b.c")).toBe("mailto:a@b.c");
    expect(safeUrl("data:text/html,x")).toBe("");
  });
});
